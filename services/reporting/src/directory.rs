//! The reporting directory: the recommendations a handling report can make
//! (`data/recommendations.csv`) and the related agencies it can go to (`data/agencies.csv`),
//! embedded, or read from `reference_data_dir` when a deployment keeps its own copies.

use std::path::Path;

pub use aduan_refdata::{Agency as AgencyKind, Recommendation, region};
use aduan_refdata::{load_agencies, load_recommendations, parse_csv};
use aduan_runtime::Result;

const EMBEDDED_SIMFONI: &str = include_str!("../../../data/simfoni_ppa_taxonomy.csv");
const EMBEDDED_PROVINCES: &str = include_str!("../../../data/provinces.csv");

/// Recommendations and agencies.
#[derive(Debug, Clone)]
pub struct Directory {
    recommendations: Vec<Recommendation>,
    agencies: Vec<AgencyKind>,
    violence_types: Vec<(String, String)>,
    provinces: Vec<(String, String)>,
}

impl Directory {
    /// From `dir` when it has the files, else the embedded copies.
    pub fn load(dir: Option<&Path>) -> Result<Directory> {
        let recommendations = load_recommendations(dir)?;
        let agencies = load_agencies(dir)?;
        let violence_types = parse_csv(EMBEDDED_SIMFONI)?
            .into_iter()
            .filter(|r| r.get("category").map(String::as_str) == Some("jenis_kekerasan"))
            .map(|r| {
                (
                    r.get("code").cloned().unwrap_or_default(),
                    r.get("label_id").cloned().unwrap_or_default(),
                )
            })
            .collect();
        let provinces = parse_csv(EMBEDDED_PROVINCES)?
            .into_iter()
            .map(|r| {
                (
                    r.get("code").cloned().unwrap_or_default(),
                    r.get("name").cloned().unwrap_or_default(),
                )
            })
            .collect();
        Ok(Directory {
            recommendations,
            agencies,
            violence_types,
            provinces,
        })
    }

    /// A recommendation by code.
    pub fn recommendation(&self, code: &str) -> Option<&Recommendation> {
        self.recommendations.iter().find(|r| r.code == code)
    }

    /// An agency kind by code.
    pub fn agency(&self, code: &str) -> Option<&AgencyKind> {
        self.agencies.iter().find(|a| a.code == code)
    }

    /// The Indonesian name of a SIMFONI-PPA form of violence (`jenis_kekerasan`).
    pub fn violence_label(&self, code: &str) -> Option<&str> {
        self.violence_types
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, l)| l.as_str())
    }

    /// The name of a province by code ("35" -> "Jawa Timur").
    pub fn province_name(&self, code: &str) -> Option<&str> {
        self.provinces
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.as_str())
    }

    /// Every agency kind.
    pub fn agencies(&self) -> &[AgencyKind] {
        &self.agencies
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_lists_load_and_names_follow_the_office() {
        let d = Directory::load(None).unwrap();
        assert!(d.recommendation("selesai").is_some());
        let ppa = d.agency("uptd_ppa").unwrap();
        assert_eq!(
            ppa.name_for("Dinas Sosial P3A Kabupaten Sampang"),
            "UPTD Perlindungan Perempuan dan Anak Kabupaten Sampang"
        );
        assert_eq!(region("Dinas Sosial P3A Kota Surabaya"), "Kota Surabaya");
    }
}
