//! Loads the project settings (`bomiljo.toml`) and the layer definitions (`layers/*.toml`).
//!
//! Parsing happens in two stages: `raw` holds the serde structs exactly as written in the
//! files; [`layer`] and [`project`] resolve them into checked, unit-typed configuration for the
//! rest of the program. A municipality changes a layer or threshold by editing TOML, not code.

pub mod budget;
pub mod labels;
pub mod layer;
pub mod project;
mod raw;

use std::path::{Path, PathBuf};

pub use labels::CategoryLabels;
pub use layer::{FieldMapping, FieldType, GeometryType, Layer, LayerKind, Visibility};
pub use project::Project;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}\n    Pass --config DIR pointing at a folder with bomiljo.toml and layers/.")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("unknown layer '{name}'{suggestion}\n    `bomiljo layers` lists the layers defined in {dir}")]
    UnknownLayer { name: String, suggestion: String, dir: PathBuf },
}

/// Everything read from the configuration folder.
#[derive(Debug, Clone)]
pub struct Config {
    pub dir: PathBuf,
    pub project: Project,
    /// Layers sorted by name.
    pub layers: Vec<Layer>,
}

impl Config {
    /// The configuration's files (bomiljo.toml, layers/, texts/ and the rule file) with when each
    /// was last changed: a server compares them with those it started with, to say that an
    /// edited file needs a restart.
    pub fn file_times(&self) -> std::collections::BTreeMap<PathBuf, Option<std::time::SystemTime>> {
        let in_dir = |sub: &str| -> Vec<PathBuf> {
            std::fs::read_dir(self.dir.join(sub))
                .map(|entries| entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "toml")).collect())
                .unwrap_or_default()
        };
        let files = [self.dir.join("bomiljo.toml"), self.project.rules.clone()].into_iter().chain(in_dir("layers")).chain(in_dir("texts"));
        files
            .map(|path| {
                let changed = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
                (path, changed)
            })
            .collect()
    }

    /// Reads `DIR/bomiljo.toml` and every `DIR/layers/*.toml`.
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        let project = Project::load(&dir.join("bomiljo.toml"))?;
        let layers_dir = dir.join("layers");
        let entries = std::fs::read_dir(&layers_dir).map_err(|source| ConfigError::Read { path: layers_dir.clone(), source })?;
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
        paths.sort();
        let layers = paths.iter().map(|p| Layer::load(p)).collect::<Result<Vec<_>, _>>()?;
        let config = Config { dir: dir.to_path_buf(), project, layers };
        config.check_areas_layer()?;
        config.check_streets_layer()?;
        config.check_addresses_layer()?;
        Ok(config)
    }

    /// The folder to read configuration from: the one given, else `./` when it holds
    /// `bomiljo.toml`, else the source tree this binary was built from.
    pub fn default_dir() -> PathBuf {
        if Path::new("bomiljo.toml").is_file() { PathBuf::from(".") } else { PathBuf::from(env!("CARGO_MANIFEST_DIR")) }
    }

    pub fn layer(&self, name: &str) -> Result<&Layer, ConfigError> {
        self.layers.iter().find(|l| l.name == name).ok_or_else(|| ConfigError::UnknownLayer {
            name: name.to_string(),
            suggestion: suggest(name, self.layers.iter().map(|l| l.name.as_str())),
            dir: self.dir.join("layers"),
        })
    }

    /// The area layer points are assigned to (delbydeler by default).
    pub fn assign_layer(&self) -> &Layer {
        self.layers.iter().find(|l| l.name == self.project.assign_layer).expect("checked in Config::load")
    }

    /// Layers of one kind, e.g. every incident source.
    pub fn layers_of(&self, kind: LayerKind) -> impl Iterator<Item = &Layer> {
        self.layers.iter().filter(move |l| l.kind == kind)
    }

    /// Every population point of every population layer reads through these names (not a
    /// hard-coded "population"), so a renamed layer keeps working.
    pub fn population_layers(&self) -> impl Iterator<Item = &str> {
        self.layers_of(LayerKind::Population).map(|l| l.name.as_str())
    }

    /// `[map] streets` names a line layer of layers/.
    fn check_streets_layer(&self) -> Result<(), ConfigError> {
        let Some(streets) = &self.project.streets else { return Ok(()) };
        match self.layers.iter().find(|l| l.name == streets.layer) {
            Some(l) if l.geometry == GeometryType::Line => Ok(()),
            _ => Err(ConfigError::Invalid {
                path: self.project.path.clone(),
                message: format!("[map] streets = \"{}\" must name a layer with geometry = \"line\" in layers/", streets.layer),
            }),
        }
    }

    /// `[map] addresses` names a point layer of points of interest that keeps the address tags.
    fn check_addresses_layer(&self) -> Result<(), ConfigError> {
        let Some(addresses) = &self.project.addresses else { return Ok(()) };
        match self.layers.iter().find(|l| &l.name == addresses) {
            Some(l)
                if l.kind == LayerKind::Poi
                    && l.geometry == GeometryType::Point
                    && l.visibility == crate::config::Visibility::Public
                    && l.keep_tags.iter().any(|t| t == "adressenavn") =>
            {
                Ok(())
            }
            _ => Err(ConfigError::Invalid {
                path: self.project.path.clone(),
                message: format!(
                    "[map] addresses = \"{addresses}\" must name a public point layer of kind \"poi\" in layers/ (the address search is public) that keeps the address columns (keep_tags with adressenavn, nummer, bokstav, gardsnummer, bruksnummer)"
                ),
            }),
        }
    }

    fn check_areas_layer(&self) -> Result<(), ConfigError> {
        match self.layers.iter().find(|l| l.name == self.project.assign_layer) {
            Some(l) if l.kind == LayerKind::Areas => Ok(()),
            _ => Err(ConfigError::Invalid {
                path: self.project.path.clone(),
                message: format!("[areas] assign_layer = \"{}\" must name an areas layer in layers/", self.project.assign_layer),
            }),
        }
    }
}

/// ", did you mean 'x'?" for the closest candidate, or "" when nothing is close.
pub fn suggest<'a>(given: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    candidates
        .map(|c| (strsim::jaro_winkler(given, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!(", did you mean '{c}'?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_configuration_loads_and_has_every_named_layer() {
        let config = Config::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        for name in [
            "delbydeler",
            "bydeler",
            "population",
            "schools",
            "kindergartens",
            "transit_stops",
            "grocery",
            "pharmacies",
            "commercial",
            "housing",
            "incidents_fire",
            "incidents_police",
            "incidents_waste",
        ] {
            config.layer(name).unwrap();
        }
    }

    #[test]
    fn a_misspelt_layer_name_suggests_the_right_one() {
        let config = Config::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let err = config.layer("incidents_polise").unwrap_err().to_string();
        assert!(err.contains("did you mean 'incidents_police'"), "{err}");
    }
}
