import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Registry } from 'prom-client';
import { HealthRegistry } from './health.registry';
import { METRICS_REGISTRY } from './tokens';

export { PUBLIC_PATHS } from './paths';

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthRegistry,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  /** The process is up and its event loop answers; dependencies are not consulted. */
  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(@Res() response: Response): Promise<void> {
    const report = await this.health.readiness();
    response.status(report.status === 'ready' ? 200 : 503).json(report);
  }

  @Get('metrics')
  async metrics(@Res() response: Response): Promise<void> {
    const body = await this.registry.metrics();
    response.status(200).type(this.registry.contentType).send(body);
  }
}
