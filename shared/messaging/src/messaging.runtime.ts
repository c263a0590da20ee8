import {
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
  Optional,
  Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Registry } from 'prom-client';
import { SUBSCRIPTIONS } from '@servicedesk/contracts';
import {
  HealthRegistry,
  LOGGER,
  Logger,
  METRICS_REGISTRY,
  ReadinessCheck,
  createLogger,
} from '@servicedesk/platform';
import { EventConsumer } from './event-consumer';
import { MESSAGING_OPTIONS, MessagingModuleOptions } from './messaging.options';
import { MessagingMetrics } from './metrics';
import { consumerOptions, relayOptions } from './options';
import { OutboxRelay } from './outbox-relay';
import { EventHandler, Subscription } from './subscription';
import { subscriptionsFromRegistry } from './subscription-registry';
import { planTopology } from './topology-plan';
import { UnitOfWork } from './unit-of-work';

/**
 * Runs a service's relay and consumers for the life of the app: started once every module
 * is ready (handlers resolvable), stopped first at shutdown (consumers drain their in-flight
 * messages while the database is still open).
 */
@Injectable()
export class MessagingRuntime implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private relay: OutboxRelay | undefined;
  private consumer: EventConsumer | undefined;
  private readonly logger: Logger;
  private readonly metrics: MessagingMetrics;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    private readonly unitOfWork: UnitOfWork,
    private readonly moduleRef: ModuleRef,
    @Optional() @Inject(LOGGER) logger?: Logger,
    @Optional() @Inject(METRICS_REGISTRY) registry?: Registry,
    @Optional() private readonly health?: HealthRegistry,
  ) {
    this.logger = (logger ?? createLogger(options.service)).child({ component: 'messaging' });
    this.metrics = new MessagingMetrics(registry);
  }

  /** Readiness: the broker is connected (relay and consumers) and every queue has its consumer. */
  readinessChecks(): ReadinessCheck[] {
    return [
      {
        name: 'broker',
        check: async () => {
          if (!this.relay?.brokerConnected)
            throw new Error(`relay: ${this.relay?.brokerStatus ?? 'not started'}`);
          if (this.consumer && !this.consumer.brokerConnected && this.subscriptions().length > 0) {
            throw new Error(`consumers: ${this.consumer.brokerStatus}`);
          }
        },
      },
      {
        name: 'consumers',
        check: async () => {
          const detached =
            this.consumer?.detachedQueues() ?? this.subscriptions().map((s) => s.queue);
          if (detached.length > 0) throw new Error(`not consuming ${detached.join(', ')}`);
        },
      },
    ];
  }

  onModuleInit(): void {
    this.readinessChecks().forEach((check) => this.health?.register(check));
  }

  async onApplicationBootstrap(): Promise<void> {
    const registry = this.options.registry ?? SUBSCRIPTIONS;
    const consumer = consumerOptions(this.options.consumer);
    this.metrics.startAtZero(this.options.service, registry);
    const subscriptions = subscriptionsFromRegistry(
      this.options.service,
      registry,
      this.subscriptions(),
    ).map((subscription): Subscription => ({
      ...subscription,
      handler: this.resolveHandler(subscription.handler),
    }));
    this.relay = new OutboxRelay({
      dataSource: this.unitOfWork.dataSource,
      service: this.options.service,
      schema: this.options.schema,
      rabbitmqUrl: this.options.rabbitmqUrl,
      logger: this.logger,
      metrics: this.metrics,
      options: relayOptions(this.options.relay),
      topology: planTopology(registry, consumer),
    });
    this.consumer = new EventConsumer({
      service: this.options.service,
      rabbitmqUrl: this.options.rabbitmqUrl,
      unitOfWork: this.unitOfWork,
      subscriptions,
      logger: this.logger,
      metrics: this.metrics,
      options: consumer,
    });
    // The relay declares the whole topology first, and refuses to start (before any consumer
    // attaches) when a queue needs migrating.
    await this.relay.start();
    await this.consumer.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
    await this.relay?.stop();
  }

  private subscriptions() {
    return this.options.subscriptions ?? [];
  }

  private resolveHandler(handlerClass: Type<EventHandler>): EventHandler {
    try {
      return this.moduleRef.get(handlerClass, { strict: false });
    } catch {
      throw new Error(
        `${handlerClass.name} is not a provider of any module: add it to the providers of its feature module`,
      );
    }
  }
}
