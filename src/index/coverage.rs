//! Where the data can speak for a site. The municipality is the union of its delbydeler, not
//! the configured extent box (which takes in parts of Asker, Bærum and Nordre Follo): beyond the
//! delbydeler no population, incident or housing data was delivered, so residents, incidents and
//! distances there are unknown, not 0. A site in the sea or a lake is no site for housing, and is
//! recognised once a water layer is imported.

use super::{AreaIndex, PolygonIndex};
use crate::config::Config;
use crate::store::Database;
use crate::store::StoreError;

/// The delbydeler and the water, indexed for point-in-polygon tests.
pub struct Coverage {
    areas: AreaIndex,
    /// The assignment layer's name (delbydeler) and the municipality's, for messages.
    area_layer: String,
    municipality: String,
    /// The water layer's name and polygons, when one is configured and holds any.
    water: Option<(String, PolygonIndex)>,
}

impl Coverage {
    pub fn load(store: &crate::store::Store, config: &Config) -> Result<Coverage, StoreError> {
        let areas = AreaIndex::from_rows(store.areas(&config.project.assign_layer)?);
        let water = match &config.project.water_layer {
            Some(layer) => {
                let shapes: Vec<_> = store.feature_polygons(layer)?.into_iter().map(|a| a.polygon).collect();
                (!shapes.is_empty()).then(|| (layer.clone(), PolygonIndex::new(&shapes)))
            }
            None => None,
        };
        Ok(Coverage { areas, area_layer: config.project.assign_layer.clone(), municipality: config.project.municipality.clone(), water })
    }

    /// Whether the data can speak for a site at (x, y) (EPSG:25832): `Err` says why not, in a
    /// sentence for the user. Without any delbydeler imported nothing can be said either way.
    pub fn site(&self, x: f64, y: f64) -> Result<(), String> {
        if !self.areas.is_empty() && self.areas.locate(x, y).is_none() {
            return Err(format!(
                "the site lies outside every {} of {}: residents, incidents and housing there are not in the data, so it cannot be scored or described; check the coordinates (lon, lat in degrees)",
                self.area_layer, self.municipality
            ));
        }
        if let Some((layer, water)) = &self.water {
            if water.distance(x, y) == Some(0.0) {
                return Err(format!("the site lies in water (layer {layer}); check the coordinates (lon, lat in degrees)"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Area;
    use geo::{MultiPolygon, polygon};

    fn coverage(water: bool) -> Coverage {
        let square = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)]]);
        let lake = MultiPolygon(vec![polygon![(x: 60.0, y: 60.0), (x: 90.0, y: 60.0), (x: 90.0, y: 90.0), (x: 60.0, y: 90.0)]]);
        let area = Area { code: "0101".into(), name: None, parent_code: None, population: None, area_m2: 1e4, polygon: square };
        Coverage {
            areas: AreaIndex::new(vec![area]),
            area_layer: "delbydeler".into(),
            municipality: "Oslo kommune".into(),
            water: water.then(|| ("water".to_string(), PolygonIndex::new(&[lake]))),
        }
    }

    #[test]
    fn a_site_beyond_the_delbydeler_or_in_water_is_not_covered() {
        let c = coverage(true);
        assert!(c.site(10.0, 10.0).is_ok());
        assert!(c.site(150.0, 10.0).unwrap_err().contains("outside every delbydeler of Oslo kommune"));
        assert!(c.site(70.0, 70.0).unwrap_err().contains("lies in water"));
        // Without a water layer, a lake is not known to be one.
        assert!(coverage(false).site(70.0, 70.0).is_ok());
    }
}
