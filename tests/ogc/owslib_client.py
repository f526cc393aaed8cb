"""Reads a bomiljo server as a desktop GIS would, through OWSLib's OGC API - Features client.

usage: owslib_client.py BASE_URL COLLECTION MIN_LON,MIN_LAT,MAX_LON,MAX_LAT

Prints one JSON object: the conformance classes, the collection ids, every feature id found by
paging the bbox two at a time (following each page's `next` link), one item fetched by id, and the
same bbox's first page in EPSG:25833. The Rust test (tests/integration/gis_api.rs) checks it.
"""
import json
import sys
from urllib.parse import parse_qs, urlparse

from owslib.ogcapi.features import Features

base, collection, bbox = sys.argv[1], sys.argv[2], [float(v) for v in sys.argv[3].split(",")]
api = Features(base)
conformance = api.conformance()["conformsTo"]
collections = [c["id"] for c in api.collections()["collections"]]
ids, pages, query = [], 0, {"bbox": bbox, "limit": 2}
while pages < 20:
    page = api.collection_items(collection, **query)
    pages += 1
    ids += [f["id"] for f in page["features"]]
    nxt = next((l["href"] for l in page.get("links", []) if l["rel"] == "next"), None)
    if not nxt:
        break
    # Follow the server's next link as given: its query, not one rebuilt by the client.
    query = {k: v[0] for k, v in parse_qs(urlparse(nxt).query).items()}
    query["bbox"] = [float(v) for v in query["bbox"].split(",")]  # OWSLib joins a list itself
one = api.collection_item(collection, ids[0]) if ids else None
utm33 = api.collection_items(collection, bbox=bbox, limit=1, crs="http://www.opengis.net/def/crs/EPSG/0/25833")
print(json.dumps({
    "conformance": conformance, "collections": collections, "ids": ids, "pages": pages,
    "item_id": one["id"] if one else None,
    "utm33_first": utm33["features"][0]["geometry"]["coordinates"] if utm33["features"] else None,
}))
