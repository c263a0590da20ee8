import { alertRules, dashboardQueries, measuredBy } from './prometheus';

describe('what an alert measures', () => {
  it('is its expression without the comparisons against numbers', () => {
    expect(measuredBy('up == 0')).toBe('up');
    expect(measuredBy('changes(process_start_time_seconds[15m]) > 2')).toBe(
      'changes(process_start_time_seconds[15m])',
    );
    expect(measuredBy('(a / b > 0.1)\n  and sum(increase(c[15m])) >= 3')).toBe(
      '(a / b)\n  and sum(increase(c[15m]))',
    );
  });

  it('keeps label matchers, which compare with strings', () => {
    const expr = 'sum(rate(http_requests_total{service!="gateway", status_code="401"}[5m]))';

    expect(measuredBy(`${expr} > 0`)).toBe(expr);
  });

  it('leaves no threshold in any rule of prometheus/alerts.yml', () => {
    for (const rule of alertRules()) {
      expect([rule.alert, measuredBy(rule.expr)]).not.toEqual([
        rule.alert,
        expect.stringMatching(/(==|!=|>|<)\s*-?\d/),
      ]);
    }
  });
});

describe('the dashboards queries', () => {
  it('have every template variable filled in', () => {
    const queries = dashboardQueries();

    expect(queries.length).toBeGreaterThan(0);
    expect(queries.filter((query) => query.expr.includes('$'))).toEqual([]);
  });
});
