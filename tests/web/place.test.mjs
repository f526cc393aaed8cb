// The page's parsing of typed places, in Node (no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCoordinates, findPlace } from '../../web/js/place.js';

test('coordinates are read with a decimal comma or point, in the separators people type', () => {
  for (const text of ['59,92 10,75', '59.92, 10.75', '59,92; 10,75', '59.92,10.75', ' 59.92   10.75 ']) {
    assert.deepEqual(parseCoordinates(text), { lat: 59.92, lon: 10.75 }, text);
  }
  for (const text of ['59,92', 'Grünerløkka', '59.92, 10.75, 3', '95, 10', '', '59,92,10,75']) {
    assert.equal(parseCoordinates(text), null, text);
  }
});

test('place names are found without case or accents', () => {
  const places = [{ name: 'Grünerløkka', kind: 'delbydel' }, { name: 'Grønland', kind: 'delbydel' }, { name: 'Frogner', kind: 'bydel' }];
  assert.equal(findPlace(places, 'grunerlokka').name, 'Grünerløkka');
  assert.equal(findPlace(places, 'grøn').name, 'Grønland');
  assert.equal(findPlace(places, 'FROGNER').kind, 'bydel');
  assert.equal(findPlace(places, 'Bergen'), null);
});

test('delbydeler and bydeler are found by their codes, streets by name', () => {
  const places = [{ name: 'Grünerløkka vest', kind: 'delbydel', code: '0301' }, { name: 'Grünerløkka', kind: 'bydel', code: '03' }, { name: 'Thorvald Meyers gate', kind: 'street' }];
  assert.equal(findPlace(places, '0301').name, 'Grünerløkka vest');
  assert.equal(findPlace(places, '03').kind, 'bydel');
  assert.equal(findPlace(places, 'thorvald meyers').kind, 'street');
  assert.equal(findPlace(places, '0399'), null);
});
