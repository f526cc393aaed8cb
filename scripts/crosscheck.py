"""bomiljo's spatial statistics against PySAL on the demo (called by scripts/crosscheck.sh).

1. Space-time Gi* (`bomiljo measure emerging`: 200 m cells, 500 m band, the previous year as
   neighbour) against esda.G_Local(star=True, binary weights) on a graph whose nodes are
   (cell, year) and whose neighbours are the cells within the band in the same and the previous
   year. The z-scores must agree to 1e-9.
2. Local Moran's I (`bomiljo measure lisa --year 2024`) against esda.Moran_Local with
   libpysal's DistanceBand (500 m, row-standardised): every I within 1e-5 (the CSV has 6
   decimals), the same quadrants, and the same verdict at p < 0.05 for at least 95 % of the cells
   (the pseudo p-values come from different random permutations).
"""
import csv, glob, json, math, sys, warnings

import numpy as np

warnings.filterwarnings("ignore")
import esda  # noqa: E402
import libpysal  # noqa: E402

work = sys.argv[1]
CELL, BAND, SNAP = 200.0, 500.0, 100.0

# The study area's grid, as bomiljo lays it: from the delbydeler's bounding box.
areas = json.load(open(f"{work}/files/delbydeler.geojson"))
xs = [p[0] for f in areas["features"] for ring in f["geometry"]["coordinates"] for p in ring]
ys = [p[1] for f in areas["features"] for ring in f["geometry"]["coordinates"] for p in ring]
x0, y0 = min(xs), min(ys)
cols, rows = math.ceil((max(xs) - x0) / CELL), math.ceil((max(ys) - y0) / CELL)
n_cells = cols * rows

emerging = json.load(open(f"{work}/emerging.json"))
first, last = emerging["years"]
years = list(range(first, last + 1))
counts = np.zeros((len(years), n_cells))
for path in glob.glob(f"{work}/files/incidents_*.csv"):
    for r in csv.DictReader(open(path)):
        year = int(r["date"][:4])
        if year not in years:
            continue
        # Stored positions are snapped to the centres of the 100 m anonymisation grid.
        sx = math.floor(float(r["x"]) / SNAP) * SNAP + SNAP / 2
        sy = math.floor(float(r["y"]) / SNAP) * SNAP + SNAP / 2
        c, rr = int((sx - x0) // CELL), int((sy - y0) // CELL)
        if 0 <= c < cols and 0 <= rr < rows:
            counts[years.index(year), rr * cols + c] += 1

reach = int(BAND // CELL)
offsets = [(dc, dr) for dr in range(-reach, reach + 1) for dc in range(-reach, reach + 1) if dc * dc + dr * dr <= (BAND / CELL) ** 2 + 1e-9]
node = lambda t, i: t * n_cells + i  # noqa: E731
neighbours = {}
for t in range(len(years)):
    for i in range(n_cells):
        c, r = i % cols, i // cols
        ids = [node(t - lag, (r + dr) * cols + c + dc) for lag in (0, 1) if t - lag >= 0 for dc, dr in offsets if 0 <= c + dc < cols and 0 <= r + dr < rows]
        neighbours[node(t, i)] = [j for j in ids if j != node(t, i)]
w = libpysal.weights.W(neighbours, {k: [1.0] * len(v) for k, v in neighbours.items()}, silence_warnings=True)
gi = esda.G_Local(counts.reshape(-1), w, transform="B", star=True, permutations=0)
diffs = []
for cell in emerging["cells"]:
    ax, ay = cell["ring"][0]
    i = int(round((ay - y0) / CELL)) * cols + int(round((ax - x0) / CELL))
    diffs += [abs(gi.Zs[node(t, i)] - z) for t, z in enumerate(cell["z"])]
print(f"space-time Gi*: {len(diffs)} bins of {len(emerging['cells'])} cells with a pattern, max |z - esda| = {max(diffs):.2e}")
assert diffs and max(diffs) < 1e-9, max(diffs)

rows_ = list(csv.DictReader(open(f"{work}/lisa.csv")))
xy = np.array([[float(r["x"]), float(r["y"])] for r in rows_])
y = np.array([float(r["count"]) for r in rows_])
ours_i = np.array([float(r["i"]) for r in rows_])
ours_p = np.array([float(r["p"]) for r in rows_])
quadrant = {"high_high": 1, "low_high": 2, "low_low": 3, "high_low": 4}
ours_q = np.array([quadrant[r["quadrant"]] for r in rows_])
band = libpysal.weights.DistanceBand(xy, threshold=BAND + 1e-6, binary=True, silence_warnings=True)
moran = esda.Moran_Local(y, band, transformation="r", permutations=999, seed=1)
i_diff = float(np.max(np.abs(moran.Is - ours_i)))
agree = float(np.mean((moran.p_sim < 0.05) == (ours_p < 0.05)))
print(f"local Moran's I: {len(y)} cells, max |I - esda| = {i_diff:.2e}, quadrants equal: {np.array_equal(moran.q, ours_q)}, same verdict at p < 0.05: {agree:.1%}")
assert i_diff < 1e-5 and np.array_equal(moran.q, ours_q) and agree >= 0.95
