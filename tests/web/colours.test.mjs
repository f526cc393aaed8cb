// Class breaks of the delbydel colours, in Node (no browser needed). MapLibre refuses a `step`
// whose breaks do not strictly ascend; a year of zeros (or a database without incidents) gave
// [0, 0, 0, 0], a console error and a legend of "0,0 – 0,0" classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantileBreaks, spread, VIRIDIS } from '../../web/js/colours.js';

test('breaks ascend strictly, equal quantiles merge, and no values give no breaks', () => {
  assert.deepEqual(quantileBreaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), [3, 5, 7, 9]);
  assert.deepEqual(quantileBreaks([0, 0, 0, 0, 0, 0]), [0]);
  assert.deepEqual(quantileBreaks([0, 0, 0, 0, 0, 0, 0, 5, 9, 12]), [0, 9]);
  assert.deepEqual(quantileBreaks([null, NaN, undefined]), []);
  assert.deepEqual(quantileBreaks([]), []);
});

test('a class per break and one more, spread over the palette with its ends kept', () => {
  assert.deepEqual(spread(VIRIDIS, 5), VIRIDIS);
  assert.deepEqual(spread(VIRIDIS, 2), [VIRIDIS[0], VIRIDIS[4]]);
  assert.deepEqual(spread(VIRIDIS, 1), [VIRIDIS[0]]);
  assert.equal(spread(VIRIDIS, 3)[1], VIRIDIS[2]);
});
