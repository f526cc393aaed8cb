"""bomiljo's street-network distances against networkx (called by scripts/crosscheck.sh).

Two checks per mode (walk: metres; drive: seconds), each on 600 random node pairs (seeded):
1. The same graph: bomiljo's arcs (`bomiljo network export`) loaded into networkx; networkx's
   Dijkstra and `bomiljo network costs` must agree to 0.01 and on which pairs are not connected.
2. An independent graph: built here from the GeoJSON itself (PROJ via pyproj for the projection,
   a node per vertex, the profile's rules re-implemented from the rule file), with bomiljo's
   junctions found by position; the costs must agree to the metre on foot and to 0.1 s by car.
"""
import csv, json, random, subprocess, sys, tomllib

import networkx as nx
from pyproj import Transformer

work, binary, db, roads = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
profile = tomllib.load(open("rules/matrise-2026.toml", "rb"))["network"]


def speed_kmh(text):
    """maxspeed as bomiljo reads it (km/h, mph, NO:urban, NO:rural, walk), else None."""
    text = (text or "").strip()
    special = {"NO:urban": 50.0, "NO:rural": 80.0, "walk": 7.0}
    if text in special:
        return special[text]
    factor = 1.609344 if text.endswith("mph") else 1.0
    try:
        value = float(text.removesuffix("mph").removesuffix("km/h").strip())
        return value * factor if value > 0 else None
    except ValueError:
        return None


def independent_graph(mode):
    """A node per vertex (cm), an arc per segment, OpenStreetMap's access rules."""
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    graph = nx.DiGraph()
    for f in json.load(open(roads))["features"]:
        tags, cls = f["properties"], f["properties"].get("highway")
        foot = tags.get("foot")
        walk = foot in ("yes", "designated", "permissive") or (
            foot != "no" and tags.get("motorroad") != "yes" and tags.get("access") not in ("no", "private") and cls in profile["walk_classes"])
        access = next((tags[k] for k in ("motorcar", "motor_vehicle", "vehicle", "access") if k in tags), None)
        drive = cls in profile["drive_kmh"] and access not in ("no", "private", "agricultural", "forestry", "delivery")
        oneway = tags.get("oneway")
        implied = cls in ("motorway", "motorway_link") or tags.get("junction") in ("roundabout", "circular")
        forward = drive and oneway not in ("-1", "reverse")
        backward = drive and (oneway in ("no", "0", "false", "-1", "reverse") or (oneway not in ("yes", "1", "true") and not implied))
        kmh = (speed_kmh(tags.get("maxspeed")) or profile["drive_kmh"].get(cls, 1)) * profile["drive_share"]
        coords = [to_utm.transform(x, y) for x, y in f["geometry"]["coordinates"]]
        for (ax, ay), (bx, by) in zip(coords, coords[1:]):
            a, b = (round(ax * 100), round(ay * 100)), (round(bx * 100), round(by * 100))
            metres = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
            arcs = [(a, b), (b, a)] if mode == "walk" and walk else ([(a, b)] if forward else []) + ([(b, a)] if backward else [])
            cost = metres if mode == "walk" else metres / (kmh / 3.6)
            for u, v in arcs if (mode == "walk" and walk) or mode == "drive" else []:
                if not graph.has_edge(u, v) or graph[u][v]["weight"] > cost:
                    graph.add_edge(u, v, weight=cost)
    return graph


def vertex_near(graph_index, x, y):
    """The independent graph's vertex at bomiljo's node (projections differ by far under 1 cm)."""
    key = (round(x * 100), round(y * 100))
    for dx in (0, -1, 1, -2, 2):
        for dy in (0, -1, 1, -2, 2):
            if (key[0] + dx, key[1] + dy) in graph_index:
                return (key[0] + dx, key[1] + dy)
    return None
worst = {}
for mode, tolerance in (("walk", 0.01), ("drive", 0.01)):
    folder = f"{work}/net-{mode}"
    graph = nx.DiGraph()
    nodes = [int(r["node"]) for r in csv.DictReader(open(f"{folder}/nodes.csv"))]
    graph.add_nodes_from(nodes)
    for r in csv.DictReader(open(f"{folder}/arcs.csv")):
        a, b, cost = int(r["from"]), int(r["to"]), float(r["cost"])
        # Two streets between the same junctions: the cheaper one counts, as in any router.
        if not graph.has_edge(a, b) or graph[a][b]["weight"] > cost:
            graph.add_edge(a, b, weight=cost)
    rng = random.Random(14)
    routable = [n for n in nodes if graph.out_degree(n) > 0]
    sources = sorted(rng.sample(routable, 60))
    pairs = [(s, rng.choice(routable)) for s in sources for _ in range(10)]
    with open(f"{folder}/pairs.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["from", "to"])
        w.writerows(pairs)
    out = subprocess.run([binary, "--db", db, "network", "costs", "--mode", mode, "--pairs", f"{folder}/pairs.csv"],
                         check=True, capture_output=True, text=True, env={"BOMILJO_LOG": "warn", "PATH": "/usr/bin:/bin"}).stdout
    ours = {(int(r["from"]), int(r["to"])): (float(r["cost"]) if r["cost"] else None) for r in csv.DictReader(out.splitlines())}
    diffs, disconnected, mismatched = [], 0, []
    for s in sources:
        theirs = nx.single_source_dijkstra_path_length(graph, s, weight="weight")
        for (a, b), cost in ours.items():
            if a != s:
                continue
            reference = theirs.get(b)
            if reference is None or cost is None:
                disconnected += 1
                if (reference is None) != (cost is None):
                    mismatched.append((a, b, cost, reference))
            else:
                diffs.append(abs(cost - reference))
    unit = "m" if mode == "walk" else "s"
    print(f"network {mode}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} arcs; {len(diffs)} connected pairs, "
          f"max |bomiljo - networkx| = {max(diffs):.2e} {unit}; {disconnected} pairs not connected (both agree: {not mismatched})")
    if mismatched or max(diffs) > tolerance or len(diffs) < 100:
        sys.exit(f"network {mode}: bomiljo and networkx disagree: {mismatched[:5]} max diff {max(diffs)}")

    positions = {int(r["node"]): (float(r["x"]), float(r["y"])) for r in csv.DictReader(open(f"{folder}/nodes.csv"))}
    independent = independent_graph(mode)
    index = set(independent.nodes)
    at = {n: vertex_near(index, *positions[n]) for n in set(a for a, _ in pairs) | set(b for _, b in pairs)}
    missing = [n for n, v in at.items() if v is None]
    diffs, mismatched = [], []
    for s in sources:
        theirs = nx.single_source_dijkstra_path_length(independent, at[s], weight="weight") if at[s] else {}
        for (a, b), cost in ours.items():
            if a != s or at[b] is None:
                continue
            reference = theirs.get(at[b])
            if (reference is None) != (cost is None):
                mismatched.append((a, b, cost, reference))
            elif cost is not None:
                diffs.append(abs(cost - reference))
    limit = 1.0 if mode == "walk" else 0.1
    print(f"network {mode}, independent graph from the GeoJSON (pyproj): {independent.number_of_nodes()} vertices; {len(diffs)} pairs, "
          f"max |bomiljo - networkx| = {max(diffs):.2e} {unit}; connectivity agrees: {not mismatched}; nodes not found: {len(missing)}")
    if mismatched or missing or max(diffs) > limit:
        sys.exit(f"network {mode}: bomiljo's graph differs from one built independently: {mismatched[:5]} {missing[:5]}")
