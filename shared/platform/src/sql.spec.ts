import { EXCLUSION_VIOLATION, SqlParameters, sqlStateOf } from './sql';

describe('SqlParameters', () => {
  it('numbers the parameters in the order they are added, with an optional cast', () => {
    const parameters = new SqlParameters();

    const sql = `a = ${parameters.add('x')} AND b = ANY(${parameters.add(['y'], 'uuid[]')})`;

    expect(sql).toBe('a = $1 AND b = ANY($2::uuid[])');
    expect(parameters.values).toEqual(['x', ['y']]);
  });
});

describe('sqlStateOf', () => {
  it('reads the SQLSTATE TypeORM carries in driverError', () => {
    expect(sqlStateOf({ driverError: { code: EXCLUSION_VIOLATION } })).toBe('23P01');
  });

  it('is undefined for anything else', () => {
    expect(sqlStateOf(new Error('boom'))).toBeUndefined();
    expect(sqlStateOf(null)).toBeUndefined();
    expect(sqlStateOf({ driverError: { code: 42 } })).toBeUndefined();
  });
});
