/**
 * The value of the sample of `name` whose labels include `labels`, in a Prometheus text
 * exposition; undefined when there is none.
 */
export function metricSample(
  exposition: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((label) => line.includes(label)))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Reads `GET <baseUrl>/metrics` and returns one sample (see `metricSample`). */
export async function scrapeMetric(
  baseUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (response.status !== 200)
    throw new Error(`GET ${baseUrl}/metrics answered ${response.status}`);
  return metricSample(await response.text(), name, labels);
}
