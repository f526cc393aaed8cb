"""bomiljo in QGIS, headless (PyQGIS from Debian; called by scripts/gis_clients.py).

1. Every public OGC API - Features collection loads as a valid QGIS layer with the API's count.
2. The delbydeler vector tiles, added as a QGIS vector-tile layer, render non-empty pixels.
3. The heat GeoTIFF opens as a raster layer in EPSG:25832.
4. With a Basic authentication configuration (any user name, the token as password) QGIS loads
   the internal housing layer; without it, it cannot.

Usage: qgis_client.py BASE_URL TOKEN WORKDIR
"""
import json
import os
import sys
import urllib.request

from qgis.core import (
    QgsApplication,
    QgsAuthMethodConfig,
    QgsCoordinateReferenceSystem,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
    QgsVectorTileLayer,
)
from qgis.PyQt.QtCore import QSize

base, token, work = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
os.environ.setdefault("QGIS_AUTH_DB_DIR_PATH", work)
app = QgsApplication([], False)
app.setPrefixPath("/usr", True)
app.initQgis()
failures = []


def check(ok, message):
    print(("ok    " if ok else "FAIL  ") + "QGIS: " + message)
    if not ok:
        failures.append(message)


def matched(name):
    with urllib.request.urlopen(f"{base}/collections/{name}/items?limit=1") as answer:
        return json.load(answer)["numberMatched"]


with urllib.request.urlopen(f"{base}/collections") as answer:
    collections = [c["id"] for c in json.load(answer)["collections"]]
for name in collections:
    layer = QgsVectorLayer(f"url='{base}' typename='{name}'", name, "OAPIF")
    count = layer.featureCount() if layer.isValid() else None
    check(layer.isValid() and count == matched(name), f"OGC API layer {name} valid with {count} features (API: {matched(name)})")

# Vector tiles over central Oslo, drawn to an image.
tiles = QgsVectorTileLayer(f"type=xyz&url={base}/tiles/delbydeler/{{z}}/{{x}}/{{y}}.mvt&zmin=0&zmax=16", "delbydeler tiles")
check(tiles.isValid(), "the vector-tile layer is valid")


def painted(extent, name):
    """Sample pixels QGIS paints (not the white background) drawing the tiles over `extent` (EPSG:3857)."""
    settings = QgsMapSettings()
    settings.setLayers([tiles])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    settings.setExtent(QgsRectangle(*extent))
    settings.setOutputSize(QSize(512, 410))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(os.path.join(work, name))
    return sum(1 for x in range(0, image.width(), 4) for y in range(0, image.height(), 4) if image.pixelColor(x, y).alpha() > 0 and image.pixelColor(x, y).name() != "#ffffff")


oslo = painted((1_190_000, 8_370_000, 1_215_000, 8_390_000), "qgis-tiles-oslo.png")
sea = painted((600_000, 8_370_000, 625_000, 8_390_000), "qgis-tiles-elsewhere.png")
check(oslo > 1000 and sea == 0, f"the vector tiles render over Oslo ({oslo} painted sample pixels) and nothing elsewhere ({sea})")

# An analyst signs in with Basic authentication: the token is the password. (The public
# attempt comes first: QGIS caches a server's answers per URL.)
public = QgsVectorLayer(f"url='{base}' typename='housing'", "housing", "OAPIF")
check(not public.isValid() or public.featureCount() == 0, f"without it the internal housing layer does not load ({public.featureCount() if public.isValid() else 'invalid'})")
manager = QgsApplication.authManager()
manager.setMasterPassword("bomiljo-proof", True)
config = QgsAuthMethodConfig("Basic")
config.setName("bomiljo analyst")
config.setConfig("username", "analyst")
config.setConfig("password", token)
manager.storeAuthenticationConfig(config)
internal = QgsVectorLayer(f"url='{base}' typename='housing' authcfg={config.id()}", "housing", "OAPIF")
check(internal.isValid() and internal.featureCount() > 0, f"with Basic authentication the internal housing layer loads ({internal.featureCount() if internal.isValid() else 'invalid'} sites)")

# The heat GeoTIFF gis_clients.py fetched opens as a raster in its CRS.
raster = QgsRasterLayer(os.path.join(work, "heat-analyst.tif"), "heat")
check(raster.isValid() and raster.crs().authid() == "EPSG:25832", f"the heat GeoTIFF opens as a raster layer in {raster.crs().authid()} ({raster.width()} x {raster.height()} px)")

# QGIS 3.22 can crash tearing down with raster layers alive; the checks are done, so leave at once.
sys.stdout.flush()
os._exit(1 if failures else 0)
