import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { isUuid } from '@servicedesk/platform';
import { UserEntity } from './user.entity';
import { UsersService } from './users.service';

/**
 * Batches user lookups of one GraphQL request (entity references from other subgraphs,
 * `me`, `user`) into one query. One DataLoader per request context, so its cache never
 * outlives the request.
 */
@Injectable()
export class UserLoader {
  private readonly loaders = new WeakMap<object, DataLoader<string, UserEntity | null>>();

  constructor(private readonly users: UsersService) {}

  forRequest(requestContext: object): DataLoader<string, UserEntity | null> {
    let loader = this.loaders.get(requestContext);
    if (!loader) {
      loader = new DataLoader((ids) => this.load(ids), { maxBatchSize: 500 });
      this.loaders.set(requestContext, loader);
    }
    return loader;
  }

  /** Ids that are not UUIDs cannot exist; asking PostgreSQL would only fail the whole batch. */
  private async load(ids: readonly string[]): Promise<Array<UserEntity | null>> {
    const valid = ids.filter((id) => isUuid(id));
    const found = valid.length > 0 ? await this.users.findByIds(valid) : [];
    const byId = new Map(valid.map((id, index) => [id, found[index]]));
    return ids.map((id) => byId.get(id) ?? null);
  }
}
