"""bomiljo as GDAL and QGIS use it (called by scripts/gis-clients.sh, part of `make proof`).

Against a served demo on Oslo's real delbydeler, bydeler, population cells and central roads:

1. GDAL's OGC API - Features driver (`OAPIF:http://host/`, the form that once requested
   `//collections`) lists every public collection, and its feature count equals the API's
   `numberMatched`; copying a layer with ogr2ogr gives every feature.
2. `ogr2ogr -spat` (a bbox request) returns exactly the features whose geometry intersects the box,
   computed independently with shapely on the layer's full copy: polygons whose representative
   point lies outside the box and roads crossing it with both ends outside included.
3. Vector tiles of the delbydeler at zoom 8-12 over the whole city: every polygon feature valid
   (shapely) and wound per MVT 2.1 (exterior rings positive by the surveyor's formula in tile
   coordinates, interior rings negative), decoded from the protobuf here; GDAL's MVT driver reads them.
4. HTTP Basic with the token as password (GDAL_HTTP_AUTH=BASIC) sees the internal layers; no
   credentials does not.
5. The heat surface as a Cloud-Optimized GeoTIFF (analyst and public): EPSG:25832, valid by
   GDAL's COG validator, equal to the API's GeoJSON surface cell by cell.
6. QGIS (PyQGIS from Debian, headless), when installed: every OGC API layer valid with the API's
   count, the vector-tile layer renders non-empty pixels, and an analyst connection with a Basic
   authentication configuration sees the internal layers.

Usage: gis_clients.py BASE_URL TOKEN WORKDIR
"""
import json
import math
import os
import struct
import subprocess
import sys
import urllib.request

from shapely.geometry import Polygon, box, shape
from shapely.validation import explain_validity

base, token, work = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
failures = []


def check(ok, message):
    print(("ok    " if ok else "FAIL  ") + message)
    if not ok:
        failures.append(message)


def get_json(path, auth=None):
    request = urllib.request.Request(base + path)
    if auth:
        request.add_header("Authorization", "Bearer " + auth)
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def gdal(*args, env=None):
    run = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{run.stderr}")
    return run.stdout


oapif = f"OAPIF:{base}/"

# 1. Every public collection through GDAL, with the API's count.
collections = [c["id"] for c in get_json("/collections")["collections"]]
listed = gdal("ogrinfo", "-ro", "-q", oapif)
for name in collections:
    matched = get_json(f"/collections/{name}/items?limit=1")["numberMatched"]
    summary = gdal("ogrinfo", "-ro", "-so", oapif, name)
    count = next((int(line.split(":")[1]) for line in summary.splitlines() if line.startswith("Feature Count")), None)
    check(f"{name} (" in listed and count == matched, f"GDAL lists {name}: {count} features, the API matches {matched}")


def copy(name, *extra):
    out = os.path.join(work, f"{name}{'-'.join(extra).replace(' ', '_')}.geojson")
    gdal("ogr2ogr", "-f", "GeoJSON", out, oapif, name, *extra)
    return json.load(open(out))["features"]


full = {name: copy(name) for name in ("delbydeler", "roads", "transit_stops", "population")}
for name, features in full.items():
    matched = get_json(f"/collections/{name}/items?limit=1")["numberMatched"]
    check(len(features) == matched, f"ogr2ogr copies all {matched} features of {name} (got {len(features)})")

# 2. bbox by geometry, against shapely on the full copy.
boxes = {
    "Sentrum 1 km²": (10.7350, 59.9090, 10.7530, 59.9180),
    "Grünerløkka": (10.7500, 59.9200, 10.7650, 59.9280),
    "a sliver across a delbydel edge": (10.7560, 59.9120, 10.7580, 59.9140),
}
found = {name: 0 for name in ("delbydeler", "roads", "transit_stops", "population")}
for label, (w, s, e, n) in boxes.items():
    window = box(w, s, e, n)
    for name in ("delbydeler", "roads", "transit_stops", "population"):
        expected = {f["properties"].get("id") or f.get("id") for f in full[name] if shape(f["geometry"]).intersects(window)}
        got = {f["properties"].get("id") or f.get("id") for f in copy(name, "-spat", str(w), str(s), str(e), str(n))}
        # A feature within a micro-degree of the edge may fall either way with rounding.
        near = {f["properties"].get("id") or f.get("id") for f in full[name] if shape(f["geometry"]).distance(window.exterior) < 1e-6}
        wrong = (expected ^ got) - near
        found[name] += len(expected)
        check(not wrong, f"bbox {label}: {name} {len(got)} features, {len(expected)} intersect (differ: {sorted(wrong)[:5]})")
check(all(found.values()), f"the boxes hold features of every layer: {found}")

# 3. Vector tiles: valid and wound, over the whole city.


def varint(data, i):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def fields(data):
    """(field number, wire type, value) of a protobuf message: varints as int, bytes as bytes."""
    i = 0
    while i < len(data):
        key, i = varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(data, i)
        elif wire == 2:
            length, i = varint(data, i)
            value, i = data[i : i + length], i + length
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def packed(data):
    out, i = [], 0
    while i < len(data):
        v, i = varint(data, i)
        out.append(v)
    return out


def rings(commands):
    """The rings of an MVT polygon geometry (MoveTo, LineTo, ClosePath with zigzag deltas)."""
    out, ring, x, y, i = [], [], 0, 0, 0
    while i < len(commands):
        command, count = commands[i] & 7, commands[i] >> 3
        i += 1
        if command == 7:
            out.append(ring)
            ring = []
            continue
        for _ in range(count):
            dx, dy = commands[i], commands[i + 1]
            i += 2
            x += (dx >> 1) ^ -(dx & 1)
            y += (dy >> 1) ^ -(dy & 1)
            if command == 1:
                ring = [(x, y)]
            else:
                ring.append((x, y))
    return out


def surveyor(ring):
    return sum(ring[k][0] * ring[(k + 1) % len(ring)][1] - ring[(k + 1) % len(ring)][0] * ring[k][1] for k in range(len(ring)))


def tile_of(lon, lat, z):
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


features = wound_wrong = invalid = 0
saved = None
for z in range(8, 13):
    (x0, y0), (x1, y1) = tile_of(10.48, 60.14, z), tile_of(10.95, 59.80, z)
    for tx in range(x0, x1 + 1):
        for ty in range(y0, y1 + 1):
            with urllib.request.urlopen(f"{base}/tiles/delbydeler/{z}/{tx}/{ty}.mvt") as answer:
                data = answer.read()
            for number, _, layer in fields(data):
                if number != 3:
                    continue
                for fnumber, _, feature in fields(layer):
                    if fnumber != 2:
                        continue
                    geometry = next(packed(v) for n, _, v in fields(feature) if n == 4)
                    polygons = []
                    for ring in rings(geometry):
                        area = surveyor(ring)
                        if area > 0:
                            polygons.append([ring, []])
                        elif polygons:
                            polygons[-1][1].append(ring)
                        else:
                            wound_wrong += 1
                    features += 1
                    for exterior, holes in polygons:
                        p = Polygon(exterior, holes)
                        if not p.is_valid:
                            invalid += 1
                            print(f"      z{z}/{tx}/{ty}: {explain_validity(p)}")
            if data and saved is None and z == 10:
                saved = os.path.join(work, "tiles", str(z), str(tx), f"{ty}.pbf")
                os.makedirs(os.path.dirname(saved), exist_ok=True)
                open(saved, "wb").write(data)
check(features > 300 and wound_wrong == 0 and invalid == 0, f"vector tiles z8-12: {features} delbydel features, {wound_wrong} wound against MVT 2.1, {invalid} invalid")
mvt = gdal("ogrinfo", "-ro", "-al", "-so", saved) if saved else ""
check("Feature Count" in mvt, f"GDAL's MVT driver reads a tile ({saved})")

# 4. Basic authentication from GDAL: the token as password.
basic = {"GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"analyst:{token}"}
check("housing" in gdal("ogrinfo", "-ro", "-q", oapif, env=basic), "GDAL with HTTP Basic (token as password) lists the internal housing layer")
check("housing" not in listed, "GDAL without credentials does not")

# 5. The heat surface as a Cloud-Optimized GeoTIFF: GDAL opens it in EPSG:25832, GDAL's own
#    validator calls it a COG, and every cell of the API's GeoJSON surface has its value.
from osgeo import gdal as gdal_py, osr  # noqa: E402

from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate  # noqa: E402

gdal_py.UseExceptions()
query = "source=police&year=2024&cell_m=100&bandwidth_m=300"
for role, auth in (("analyst", token), ("public", None)):
    path = os.path.join(work, f"heat-{role}.tif")
    request = urllib.request.Request(f"{base}/api/heatmap/geotiff?{query}")
    if auth:
        request.add_header("Authorization", "Bearer " + auth)
    with urllib.request.urlopen(request) as answer:
        open(path, "wb").write(answer.read())
    raster = gdal_py.Open(path)
    srs = osr.SpatialReference(wkt=raster.GetProjection())
    warnings, errors, _ = validate(path)
    check(srs.GetAuthorityCode(None) == "25832" and not errors, f"{role} heat GeoTIFF: EPSG:{srs.GetAuthorityCode(None)}, {raster.RasterXSize} x {raster.RasterYSize} px, COG errors {errors}")
    x0, dx, _, y0, _, dy = raster.GetGeoTransform()
    band = raster.GetRasterBand(1)
    pixels = band.ReadRaster(0, 0, raster.RasterXSize, raster.RasterYSize, buf_type=gdal_py.GDT_Float32)
    values = struct.unpack(f"<{raster.RasterXSize * raster.RasterYSize}f", pixels)
    surface = get_json(f"/api/heatmap?{query}", auth)["features"]
    to_utm = osr.CoordinateTransformation(osr.SpatialReference(wkt=osr.SRS_WKT_WGS84_LAT_LONG), srs)
    worst, compared = 0.0, 0
    for cell in surface:
        ring = cell["geometry"]["coordinates"][0]
        lon, lat = sum(p[0] for p in ring[:-1]) / 4, sum(p[1] for p in ring[:-1]) / 4
        x, y, _ = to_utm.TransformPoint(lat, lon)
        col, row = int((x - x0) / dx), int((y - y0) / dy)
        value = values[row * raster.RasterXSize + col]
        worst = max(worst, abs(value - cell["properties"]["value"]) / max(1.0, abs(cell["properties"]["value"])))
        compared += 1
    check(compared > 0 and worst < 1e-5, f"{role} heat GeoTIFF equals the API's surface in all {compared} cells (largest relative difference {worst:.1e})")

# 6. QGIS, headless.
try:
    from qgis.core import QgsApplication  # noqa: F401
except ImportError:
    print("skip  QGIS: python3-qgis is not installed")
else:
    run = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "qgis_client.py"), base, token, work], capture_output=True, text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    print(run.stdout, end="")
    if run.returncode != 0:
        failures.append("QGIS: " + run.stderr[-2000:])

if failures:
    print(f"\n{len(failures)} check(s) failed:\n" + "\n".join(failures))
    sys.exit(1)
print("\nGDAL and QGIS: all checks passed")
