import { SendSlots } from './send-slots';

describe('send slots', () => {
  it('lets as many through at once as it has slots, the others in turn', async () => {
    const slots = new SendSlots(2);
    const running = new Set<number>();
    let most = 0;
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const runs = [1, 2, 3, 4].map((n) =>
      slots.run(async () => {
        running.add(n);
        order.push(n);
        most = Math.max(most, running.size);
        await new Promise<void>((release) => releases.push(release));
        running.delete(n);
      }),
    );
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    expect(order).toEqual([1, 2]);
    releases.shift()!();
    await settle();
    expect(order).toEqual([1, 2, 3]);
    while (releases.length > 0 || order.length < 4) {
      releases.shift()?.();
      await settle();
    }
    await Promise.all(runs);
    expect(most).toBe(2);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('frees its slot when the work fails', async () => {
    const slots = new SendSlots(1);
    await expect(slots.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await expect(slots.run(async () => 'sent')).resolves.toBe('sent');
  });
});
