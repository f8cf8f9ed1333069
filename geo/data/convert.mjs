// Regenerates jurisdictions.tgeo, the boundary file libtessera-geo loads,
// from two public-domain datasets redistributed on npm (see SOURCE.md):
//   us-atlas 3.0.1     US Census cartographic state boundaries (2017, 1:10m)
//   world-atlas 2.0.2  Natural Earth 4.1.0 Admin 0 countries (1:50m)
// The US as a country is replaced by its states and territories, because
// lottery law is per state. Everything is pinned in package-lock.json, and the
// output is byte-for-byte reproducible:
//   cd geo/data && npm ci && node convert.mjs
//
// File format (all integers little-endian), version 1:
//   header   "TGEO" u32 version, u32 n_jur, u32 n_rings, u32 n_points, u32 0
//   n_jur    { char id[16]; char name[48]; char country[4];
//              u32 first_ring; u32 ring_count }                    76 bytes
//   n_rings  { u32 first_point; u32 point_count; u32 part; u32 flags } 16 bytes
//            flags bit 0: hole. Rings are closed (last point = first).
//   n_points { i32 lon_e7; i32 lat_e7 }  degrees * 1e7             8 bytes
//   trailer  u64 FNV-1a 64 of every byte before it
// Jurisdictions are in precedence order: where two sources overlap by a
// few hundred metres (a US state and Canada), the earlier one wins.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { feature } from 'topojson-client';
import countries from 'i18n-iso-countries';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || path.join(here, 'jurisdictions.tgeo');
const load = (rel) => JSON.parse(fs.readFileSync(path.join(here, 'node_modules', rel)));

// FIPS state code -> [USPS code, ISO 3166-1 country the territory has in
// GeoIP data]. The five territories are countries of their own in ISO 3166.
const FIPS = {
  '01': ['AL', 'US'], '02': ['AK', 'US'], '04': ['AZ', 'US'], '05': ['AR', 'US'],
  '06': ['CA', 'US'], '08': ['CO', 'US'], '09': ['CT', 'US'], '10': ['DE', 'US'],
  '11': ['DC', 'US'], '12': ['FL', 'US'], '13': ['GA', 'US'], '15': ['HI', 'US'],
  '16': ['ID', 'US'], '17': ['IL', 'US'], '18': ['IN', 'US'], '19': ['IA', 'US'],
  '20': ['KS', 'US'], '21': ['KY', 'US'], '22': ['LA', 'US'], '23': ['ME', 'US'],
  '24': ['MD', 'US'], '25': ['MA', 'US'], '26': ['MI', 'US'], '27': ['MN', 'US'],
  '28': ['MS', 'US'], '29': ['MO', 'US'], '30': ['MT', 'US'], '31': ['NE', 'US'],
  '32': ['NV', 'US'], '33': ['NH', 'US'], '34': ['NJ', 'US'], '35': ['NM', 'US'],
  '36': ['NY', 'US'], '37': ['NC', 'US'], '38': ['ND', 'US'], '39': ['OH', 'US'],
  '40': ['OK', 'US'], '41': ['OR', 'US'], '42': ['PA', 'US'], '44': ['RI', 'US'],
  '45': ['SC', 'US'], '46': ['SD', 'US'], '47': ['TN', 'US'], '48': ['TX', 'US'],
  '49': ['UT', 'US'], '50': ['VT', 'US'], '51': ['VA', 'US'], '53': ['WA', 'US'],
  '54': ['WV', 'US'], '55': ['WI', 'US'], '56': ['WY', 'US'], '60': ['AS', 'AS'],
  '66': ['GU', 'GU'], '69': ['MP', 'MP'], '72': ['PR', 'PR'], '78': ['VI', 'VI'],
};
// Natural Earth countries covered by the Census data instead (ISO numeric):
// the United States and its five territories.
const REPLACED_BY_STATES = new Set(['840', '016', '316', '580', '630', '850']);
// Kosovo has no ISO code; XK is the user-assigned code GeoIP vendors use.
const NO_ISO = { Kosovo: 'XK' };

const polygonsOf = (geom) =>
  !geom ? [] : geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates;

function usStates() {
  const topo = load('us-atlas/states-10m.json');
  return feature(topo, topo.objects.states).features.map((f) => {
    const code = FIPS[f.id];
    if (!code) throw new Error(`unknown FIPS code ${f.id} (${f.properties.name})`);
    return { id: `US-${code[0]}`, name: f.properties.name, country: code[1],
             polygons: polygonsOf(f.geometry) };
  });
}

function worldCountries() {
  const topo = load('world-atlas/countries-50m.json');
  const list = [];
  for (const f of feature(topo, topo.objects.countries).features) {
    if (REPLACED_BY_STATES.has(f.id)) continue;
    const name = f.properties.name;
    let iso = f.id !== undefined ? countries.numericToAlpha2(f.id) : NO_ISO[name];
    let country = iso;
    if (!iso) {
      // Disputed or uninhabited areas with no ISO code: a stable made-up id,
      // country "XX" (no GeoIP country will ever match it).
      iso = 'XX-' + name.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 12);
      country = 'XX';
    }
    // Several features can share a code (Australia and its Ashmore and
    // Cartier Islands): they are one jurisdiction, the first name kept.
    const prev = list.find((j) => j.id === iso);
    if (prev) prev.polygons.push(...polygonsOf(f.geometry));
    else list.push({ id: iso, name, country, polygons: polygonsOf(f.geometry) });
  }
  return list;
}

const e7 = (deg) => Math.round(deg * 1e7);

// Keeps the part of a closed ring with keep(x) true (Sutherland-Hodgman
// against one vertical line). Where the ring leaves and re-enters, the
// pieces stay joined by back-and-forth edges on the line itself: they
// enclose nothing, cancel out under the even-odd rule, and the library
// marks edges on the antimeridian as artificial (never a border).
function clipX(ring, lineX, keep) {
  const out = [];
  for (let i = 0; i + 1 < ring.length; i++) {
    const [a, b] = [ring[i], ring[i + 1]];
    const [ina, inb] = [keep(a[0]), keep(b[0])];
    if (ina) out.push(a);
    if (ina !== inb) {
      const t = (lineX - a[0]) / (b[0] - a[0]);
      out.push([lineX, a[1] + t * (b[1] - a[1])]);
    }
  }
  if (out.length) out.push(out[0]);
  return out;
}

// The sources store a ring crossing the antimeridian with one edge jumping
// from +179.9 to -180 (Russia's Chukotka, Fiji, Antarctica). Planar point
// in polygon needs every ring inside [-180, 180]: unwrap the longitudes so
// the ring is continuous, close a ring that circles a pole along the pole,
// then cut it into the [-540,-180], [-180,180] and [180,540] windows and
// shift each piece home.
function splitAntimeridian(ring) {
  const u = [ring[0]];
  for (let i = 1; i < ring.length; i++) {
    let dx = ring[i][0] - ring[i - 1][0];
    if (dx > 180) dx -= 360;
    if (dx < -180) dx += 360;
    u.push([u[i - 1][0] + dx, ring[i][1]]);
  }
  const [first, last] = [u[0], u[u.length - 1]];
  if (Math.abs(last[0] - first[0]) > 180) {
    const pole = u.reduce((s, [, y]) => s + y, 0) < 0 ? -90 : 90;
    u.push([last[0], pole], [first[0], pole], [first[0], first[1]]);
  } else {
    u[u.length - 1] = [first[0], first[1]];
  }
  if (u.every(([x]) => x >= -180 && x <= 180)) return [u];
  const pieces = [];
  for (const k of [-1, 0, 1]) {
    const [lo, hi] = [-180 + 360 * k, 180 + 360 * k];
    const piece = clipX(clipX(u, lo, (x) => x >= lo), hi, (x) => x <= hi);
    if (piece.length >= 4) pieces.push(piece.map(([x, y]) => [x - 360 * k, y]));
  }
  return pieces;
}

function closedRing(ring) {
  const r = ring.map(([lon, lat]) => [e7(lon), e7(lat)]);
  const [a, b] = [r[0], r[r.length - 1]];
  if (a[0] !== b[0] || a[1] !== b[1]) r.push([a[0], a[1]]);
  return r;
}

function fixedString(s, size) {
  const buf = Buffer.alloc(size);
  let bytes = Buffer.from(s, 'utf8');
  // Cut on a character boundary so the C side never sees half a code point.
  while (bytes.length > size - 1) {
    s = s.slice(0, -1);
    bytes = Buffer.from(s, 'utf8');
  }
  bytes.copy(buf);
  return buf;
}

function fnv1a64(buf) {
  let h = 0xcbf29ce484222325n;
  for (const byte of buf) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

function encode(jurs) {
  const jurBufs = [], ringBufs = [], pointBufs = [];
  let ringCount = 0, pointCount = 0;
  const seen = new Set();
  for (const j of jurs) {
    if (seen.has(j.id)) throw new Error(`duplicate id ${j.id}`);
    seen.add(j.id);
    const firstRing = ringCount;
    j.polygons.forEach((poly, part) => poly.forEach((whole, k) => splitAntimeridian(whole).forEach((ring) => {
      const pts = closedRing(ring);
      if (pts.length < 4) return;  // a degenerate sliver encloses nothing
      const rb = Buffer.alloc(16);
      rb.writeUInt32LE(pointCount, 0); rb.writeUInt32LE(pts.length, 4);
      rb.writeUInt32LE(part, 8); rb.writeUInt32LE(k > 0 ? 1 : 0, 12);
      ringBufs.push(rb);
      const pb = Buffer.alloc(8 * pts.length);
      pts.forEach(([lon, lat], i) => { pb.writeInt32LE(lon, 8 * i); pb.writeInt32LE(lat, 8 * i + 4); });
      pointBufs.push(pb);
      ringCount++; pointCount += pts.length;
    })));
    const jb = Buffer.concat([fixedString(j.id, 16), fixedString(j.name, 48),
                              fixedString(j.country, 4), Buffer.alloc(8)]);
    jb.writeUInt32LE(firstRing, 68); jb.writeUInt32LE(ringCount - firstRing, 72);
    jurBufs.push(jb);
  }
  const header = Buffer.alloc(24);
  header.write('TGEO', 0, 'latin1');
  header.writeUInt32LE(1, 4); header.writeUInt32LE(jurs.length, 8);
  header.writeUInt32LE(ringCount, 12); header.writeUInt32LE(pointCount, 16);
  const body = Buffer.concat([header, ...jurBufs, ...ringBufs, ...pointBufs]);
  const trailer = Buffer.alloc(8);
  trailer.writeBigUInt64LE(fnv1a64(body));
  return { bytes: Buffer.concat([body, trailer]), ringCount, pointCount };
}

const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const jurs = [...usStates().sort(byId), ...worldCountries().sort(byId)];
const { bytes, ringCount, pointCount } = encode(jurs);
fs.writeFileSync(out, bytes);
console.log(`${out}: ${jurs.length} jurisdictions, ${ringCount} rings, ` +
            `${pointCount} points, ${bytes.length} bytes`);
