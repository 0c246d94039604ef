import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { csvText, encodeCsv } from './csv.encoder';

describe('encodeCsv', () => {
  it('quotes per RFC 4180, neutralises formulas, keeps plain negative decimals as numbers', () => {
    assert.equal(csvText('a,"b"'), '"a,""b"""');
    assert.equal(csvText('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvText('-2+3'), "'-2+3");
    assert.equal(csvText('-0.050000000000'), '-0.050000000000');
    assert.equal(encodeCsv(['k', 'n', 'b', 'e'], [['@x', 1, true, null]]), "k,n,b,e\r\n'@x,1,true,\r\n");
  });
});
