import { clip, formatAge, renderTable } from './ops-output';

describe('renderTable', () => {
  it('pads columns to their widest cell and shows missing values as -', () => {
    expect(
      renderTable(
        ['SERVICE', 'PENDING'],
        [
          ['ticket', 3],
          ['user', null],
        ],
      ),
    ).toBe(['SERVICE  PENDING', '-------  -------', 'ticket   3', 'user     -'].join('\n'));
  });

  it('says so when there is nothing to show', () => {
    expect(renderTable(['QUEUE'], [])).toBe('(none)');
  });
});

describe('formatAge', () => {
  it('reads like a person would say it', () => {
    expect(formatAge(null)).toBe('-');
    expect(formatAge(4.4)).toBe('4 s');
    expect(formatAge(125)).toBe('2 min');
    expect(formatAge(7500)).toBe('2 h 5 min');
  });
});

describe('clip', () => {
  it('keeps short text and shortens long text to one line', () => {
    expect(clip('short')).toBe('short');
    expect(clip(null)).toBeNull();
    expect(clip('a\nb  c'.padEnd(100, 'x'), 10)).toBe('a b cxxxx…');
  });
});
