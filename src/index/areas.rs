//! Point-in-area lookup: a classified cell grid answers most points; the rest get an R-tree over
//! the areas' bounding boxes, then an exact point-in-polygon test ([`BandedPolygon`]) on the few
//! candidates.

use geo::BoundingRect;
use rstar::{AABB, RTree, primitives::GeomWithData, primitives::Rectangle};

use super::banded::BandedPolygon;
use super::cells::{CellAnswer, CellGrid};

/// An area (delbydel, bydel) with its polygon in EPSG:25832, as stored.
pub use crate::store::AreaRow as Area;

/// Areas indexed for point lookup.
///
/// ```
/// use bomiljo::index::{Area, AreaIndex};
/// use geo::{polygon, MultiPolygon};
/// let square = |code: &str, x0: f64| Area {
///     code: code.into(), name: None, parent_code: Some("01".into()), population: None, area_m2: 100.0,
///     polygon: MultiPolygon(vec![polygon![(x: x0, y: 0.0), (x: x0 + 10.0, y: 0.0), (x: x0 + 10.0, y: 10.0), (x: x0, y: 10.0)]]),
/// };
/// let index = AreaIndex::new(vec![square("0101", 0.0), square("0102", 10.0)]);
/// assert_eq!(index.locate(15.0, 5.0).unwrap().code, "0102");
/// assert!(index.locate(25.0, 5.0).is_none());
/// ```
pub struct AreaIndex {
    areas: Vec<Area>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    /// Most points are answered by their cell; only boundary cells need the exact test.
    cells: Option<CellGrid>,
    /// Each area's edges in bands, for the exact test.
    banded: Vec<BandedPolygon>,
}

/// Cell size of the classified grid: small enough that boundary cells are a few per cent of
/// Oslo's, large enough that the grid stays a few hundred kilobytes.
const CELL_M: f64 = 100.0;

/// Band height of the exact test: a band of a delbydel holds a few dozen edges.
const BAND_M: f64 = 50.0;

impl AreaIndex {
    pub fn new(areas: Vec<Area>) -> AreaIndex {
        let boxes = areas
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let r = a.polygon.bounding_rect()?;
                Some(GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i))
            })
            .collect();
        let banded = areas.iter().map(|a| BandedPolygon::new(&a.polygon, BAND_M)).collect();
        let mut index = AreaIndex { areas, tree: RTree::bulk_load(boxes), cells: None, banded };
        let polygons: Vec<_> = index.areas.iter().map(|a| a.polygon.clone()).collect();
        index.cells = CellGrid::new(&polygons, CELL_M, |x, y| index.locate_exactly(x, y));
        index
    }

    pub fn from_rows(rows: Vec<Area>) -> AreaIndex {
        AreaIndex::new(rows)
    }

    /// The area containing the point (EPSG:25832). A point on a shared boundary goes to the
    /// area with the lowest code, so the answer does not depend on load order.
    pub fn locate(&self, x: f64, y: f64) -> Option<&Area> {
        match self.cells.as_ref().map(|c| c.answer(x, y)) {
            Some(CellAnswer::Inside(i)) => Some(&self.areas[i]),
            Some(CellAnswer::Outside) => None,
            Some(CellAnswer::Exact) | None => self.locate_exactly(x, y).map(|i| &self.areas[i]),
        }
    }

    /// [`AreaIndex::locate`] without the cell grid: R-tree candidates, then point in polygon.
    /// The grid must agree with it everywhere (tested on Oslo's delbydeler).
    pub fn locate_exact(&self, x: f64, y: f64) -> Option<&Area> {
        self.locate_exactly(x, y).map(|i| &self.areas[i])
    }

    /// The exact answer: R-tree candidates, then point in polygon; the lowest code on a tie.
    fn locate_exactly(&self, x: f64, y: f64) -> Option<usize> {
        self.tree
            .locate_all_at_point(&[x, y])
            .map(|candidate| candidate.data)
            .filter(|&i| self.banded[i].contains(x, y))
            .min_by(|&a, &b| self.areas[a].code.cmp(&self.areas[b].code))
    }

    /// Areas whose bounding boxes intersect a rectangle.
    pub fn in_bbox(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = &Area> {
        self.tree.locate_in_envelope_intersecting(&AABB::from_corners(min, max)).map(|c| &self.areas[c.data])
    }

    pub fn get(&self, code: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.code == code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Area> {
        self.areas.iter()
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }
}
