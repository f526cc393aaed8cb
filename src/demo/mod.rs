//! The demo dataset: a deterministic (seeded) generator of areas, population, points of
//! interest, housing and several years of incidents, written as ordinary files and imported
//! through the same path as real data.
//!
//! Without `--areas` it lays out a small fictional city; with `--areas FILE` (e.g. Oslo's real
//! delbydeler) it generates everything else on those polygons. Incidents follow population,
//! cluster around a few hotspots, vary by season and source, and trend up or down per delbydel,
//! so heatmaps and trends are worth looking at. No incident is placed by any housing site.

mod city;
mod streets;
mod synth;

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::import::{ImportError, ImportOptions, ImportSummary, import_file};
use crate::index::AreaIndex;
use crate::store::Database;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot write demo file {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("demo import failed: {0}")]
    Import(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the areas file gave no areas to generate demo data on")]
    NoAreas,
    #[error("cannot read {path} for the demo's streets: {reason}")]
    Streets { path: PathBuf, reason: String },
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Real area polygons for the `delbydeler` layer; a fictional city when `None`.
    pub areas: Option<PathBuf>,
    /// A real population file for the `population` layer; synthetic when `None`.
    pub population: Option<PathBuf>,
    /// Further real files to import as they are, as (layer, file): bydel polygons for names,
    /// Marka for the edge zone.
    pub extra: Vec<(String, PathBuf)>,
    pub seed: u64,
    /// First and last year of incidents.
    pub years: (i32, i32),
    /// Where the generated files are written.
    pub out_dir: PathBuf,
    /// Spacing of the synthetic side streets laid between the main roads (metres).
    pub street_spacing_m: f64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            areas: None,
            population: None,
            extra: Vec::new(),
            seed: 2026,
            years: (2019, 2025),
            out_dir: PathBuf::from("data/demo"),
            street_spacing_m: 150.0,
        }
    }
}

/// Generates the demo files and imports them into `store`, returning one summary per import.
pub fn build(store: &mut Store, config: &Config, options: &DemoOptions) -> Result<Vec<ImportSummary>, DemoError> {
    std::fs::create_dir_all(&options.out_dir).map_err(|source| DemoError::Write { path: options.out_dir.clone(), source })?;
    let import_options = ImportOptions { imported_by: "bomiljo demo".into(), ..ImportOptions::default() };
    let mut summaries = Vec::new();
    let mut import = |store: &mut Store, layer: &str, path: &Path| -> Result<(), DemoError> {
        let summary = import_file(store, config, layer, path, &import_options)?;
        tracing::info!("{summary}");
        summaries.push(summary);
        Ok(())
    };

    let areas_path = match &options.areas {
        Some(path) => path.clone(),
        None => write_file(&options.out_dir.join("delbydeler.geojson"), &city::fictional_delbydeler())?,
    };
    import(store, &config.project.assign_layer, &areas_path)?;
    let streets_layer = config.project.streets.as_ref().map(|s| s.layer.as_str());
    for (layer, path) in options.extra.iter().filter(|(layer, _)| Some(layer.as_str()) != streets_layer) {
        import(store, layer, path)?;
    }
    let areas = AreaIndex::from_rows(store.areas(&config.project.assign_layer)?);
    if areas.is_empty() {
        return Err(DemoError::NoAreas);
    }
    // Streets: the main roads given (or the fictional city's) with a synthetic grid of side
    // streets to walk along, joined where they cross.
    if let Some(layer) = streets_layer {
        let given = options.extra.iter().find(|(l, _)| l == layer).map(|(_, p)| p);
        let main_roads = match given {
            Some(path) => std::fs::read_to_string(path).map_err(|e| DemoError::Streets { path: path.clone(), reason: e.to_string() })?,
            None if options.areas.is_none() => city::fictional_streets(),
            None => String::new(),
        };
        if !main_roads.is_empty() {
            let path = options.out_dir.join(format!("{layer}.geojson"));
            let text = streets::with_walking_grid(&main_roads, &areas, options.street_spacing_m)
                .map_err(|reason| DemoError::Streets { path: path.clone(), reason })?;
            import(store, layer, &write_file(&path, &text)?)?;
        }
    }
    let mut synth = synth::Synth::new(options.seed, config, &areas);

    let population_path = match &options.population {
        Some(path) => path.clone(),
        None => write_file(&options.out_dir.join("population.geojson"), &synth.population_grid())?,
    };
    import(store, "population", &population_path)?;
    synth.use_population(store.feature_points("population")?);

    for (layer, text) in synth.points_of_interest() {
        let path = write_file(&options.out_dir.join(format!("{layer}.geojson")), &text)?;
        import(store, layer, &path)?;
    }
    let path = write_file(&options.out_dir.join("commercial.geojson"), &synth.commercial_areas())?;
    import(store, "commercial", &path)?;
    let path = write_file(&options.out_dir.join("housing.csv"), &synth.housing())?;
    import(store, "housing", &path)?;
    for layer in config.layers_of(crate::config::LayerKind::Incidents) {
        let text = synth.incidents(layer, options.years);
        let path = write_file(&options.out_dir.join(format!("{}.csv", layer.name)), &text)?;
        import(store, &layer.name, &path)?;
    }
    // Drawn last, so the incidents stay those of earlier versions of the demo.
    if config.layer("need").is_ok() {
        let path = write_file(&options.out_dir.join("need.csv"), &synth.need_survey(options.years.1))?;
        import(store, "need", &path)?;
    }
    if let Some(layer) = config.project.addresses.clone() {
        let path = write_file(&options.out_dir.join("addresses.csv"), &synth.addresses())?;
        import(store, &layer, &path)?;
    }
    Ok(summaries)
}

fn write_file(path: &Path, text: &str) -> Result<PathBuf, DemoError> {
    std::fs::write(path, text).map_err(|source| DemoError::Write { path: path.to_path_buf(), source })?;
    Ok(path.to_path_buf())
}
