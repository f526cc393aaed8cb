// The page's reading of an import file's header, in Node (no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvColumns, guess } from '../../web/js/import.js';

test("a CSV's columns are read with the separator and encoding Excel used", () => {
  const latin1 = Buffer.from('Saksnr;Dato;Hendelsestype;Øst;Nord\r\nP-1;14.01.2025;Vold;597123,5;6643001,2\r\n', 'latin1');
  assert.deepEqual(csvColumns(latin1), ['Saksnr', 'Dato', 'Hendelsestype', 'Øst', 'Nord']);
  assert.deepEqual(csvColumns(Buffer.from('\ufeffid,date,"category",x,y\n1,2025-01-01,uro,1,2\n')), ['id', 'date', 'category', 'x', 'y']);
  assert.deepEqual(csvColumns(Buffer.from('a\tb\tc\n')), ['a', 'b', 'c']);
});

test("a field finds the layer's column, or one of its own name, ignoring case and accents", () => {
  const columns = ['SAKSNR', 'Dato', 'X'];
  assert.equal(guess({ field: 'date', column: 'dato' }, columns), 'Dato');
  assert.equal(guess({ field: 'x', column: 'ost' }, columns), 'X');
  assert.equal(guess({ field: 'category', column: 'category' }, columns), '');
});
