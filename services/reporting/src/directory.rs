//! The reporting directory: the recommendations a handling report can make
//! (`data/recommendations.csv`) and the related agencies it can go to (`data/agencies.csv`),
//! embedded, or read from `reference_data_dir` when a deployment keeps its own copies.

use std::path::Path;

pub use aduan_refdata::{Agency as AgencyKind, region};
use aduan_refdata::{load_agencies, parse_csv};
use aduan_runtime::{Error, Result};

const EMBEDDED_RECOMMENDATIONS: &str = include_str!("../../../data/recommendations.csv");
const EMBEDDED_SIMFONI: &str = include_str!("../../../data/simfoni_ppa_taxonomy.csv");
const EMBEDDED_PROVINCES: &str = include_str!("../../../data/provinces.csv");

/// One recommendation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    /// Code, for example "pendampingan_psikologis".
    pub code: String,
    /// As printed in the report.
    pub label: String,
}

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
        let read = |name: &str, embedded: &str| -> Result<String> {
            match dir.map(|d| d.join(name)) {
                Some(p) if p.exists() => std::fs::read_to_string(&p).map_err(|e| {
                    Error::invalid(
                        "reference_data_dir",
                        format!("cannot read {}: {e}", p.display()),
                    )
                }),
                _ => Ok(embedded.to_string()),
            }
        };
        let recommendations: Vec<Recommendation> =
            parse_csv(&read("recommendations.csv", EMBEDDED_RECOMMENDATIONS)?)?
                .into_iter()
                .map(|r| Recommendation {
                    code: r.get("code").cloned().unwrap_or_default(),
                    label: r.get("label_id").cloned().unwrap_or_default(),
                })
                .filter(|r| !r.code.is_empty() && !r.label.is_empty())
                .collect();
        let agencies = load_agencies(dir)?;
        if recommendations.is_empty() {
            return Err(Error::invalid(
                "reference_data_dir",
                "recommendations.csv has no entries",
            ));
        }
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
