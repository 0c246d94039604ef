import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface CostExplorerGroup {
  keys: string[];
  unblended: string;
  amortized: string;
  netAmortized: string;
  usage?: string;
  unit?: string;
}

/**
 * A local AWS Cost Explorer double: JSON 1.1 over `POST /` with `X-Amz-Target: AWSInsightsIndexService.GetCostAndUsage`,
 * answering from a fixed set of days × groups, `pageSize` groups per page chained by NextPageToken, and
 * `throttleFirst` requests refused with LimitExceededException (Cost Explorer's rate-limit error) first.
 */
export class FakeCostExplorerServer {
  readonly requests: Record<string, unknown>[] = [];
  throttled = 0;
  private server?: Server;
  url = '';

  constructor(
    private readonly days: Record<string, CostExplorerGroup[]>,
    private readonly pageSize = 3,
    private throttleFirst = 0,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${this.requests.length}` });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AWSInsightsIndexService.GetCostAndUsage') {
      return send(400, { __type: 'UnknownOperationException', message: `${req.method} ${req.headers['x-amz-target']}` });
    }
    if (!/^AWS4-HMAC-SHA256 Credential=AKIA/.test(req.headers.authorization ?? '')) return send(400, { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      TimePeriod: { Start: string; End: string };
      GroupBy: { Type: string; Key: string }[];
      NextPageToken?: string;
      Metrics: string[];
    };
    this.requests.push(body);
    if (this.throttleFirst > 0) {
      this.throttleFirst--;
      this.throttled++;
      return send(400, { __type: 'com.amazonaws.ce#LimitExceededException', message: 'You have exceeded the rate limit.' });
    }
    // Every (day, group) in the window, flattened; a page is a slice, the token the offset.
    const cells = Object.entries(this.days)
      .filter(([day]) => day >= body.TimePeriod.Start && day < body.TimePeriod.End)
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([day, groups]) => groups.map((g) => ({ day, g })));
    const offset = body.NextPageToken ? Number(Buffer.from(body.NextPageToken, 'base64').toString()) : 0;
    const page = cells.slice(offset, offset + this.pageSize);
    const byDay = new Map<string, CostExplorerGroup[]>();
    for (const { day, g } of page) byDay.set(day, [...(byDay.get(day) ?? []), g]);
    const next = offset + this.pageSize < cells.length ? Buffer.from(String(offset + this.pageSize)).toString('base64') : undefined;
    const money = (amount: string) => ({ Amount: amount, Unit: 'USD' });
    send(200, {
      GroupDefinitions: body.GroupBy,
      ResultsByTime: [...byDay.entries()].map(([day, groups]) => ({
        TimePeriod: { Start: day, End: nextDay(day) },
        Total: {},
        Groups: groups.map((g) => ({
          Keys: g.keys,
          Metrics: {
            UnblendedCost: money(g.unblended),
            AmortizedCost: money(g.amortized),
            NetAmortizedCost: money(g.netAmortized),
            UsageQuantity: { Amount: g.usage ?? '0', Unit: g.unit ?? 'N/A' },
          },
        })),
        Estimated: true,
      })),
      DimensionValueAttributes: [],
      ...(next ? { NextPageToken: next } : {}),
    });
  }
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
