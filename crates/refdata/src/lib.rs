//! Reference data the services check against: the offices of the province (R6, tenancy), the
//! complaint categories (R5) and the Bidang (divisions) a Head disposes complaints to (S7).
//! Shipped as data files under `data/` (with their sources) and compiled in; a deployment can
//! point `reference_data_dir` at its own copies.
#![warn(missing_docs)]

pub mod calendars;

use std::collections::HashMap;
use std::path::Path;

use aduan_runtime::{Error, Result};

/// One office (tenant) of the deployment.
#[derive(Debug, Clone)]
pub struct Office {
    /// Kemendagri code, for example "35.27".
    pub code: String,
    /// The office's name.
    pub name: String,
    /// The office's IANA time zone, for example "Asia/Jakarta" (WIB).
    pub time_zone: jiff::tz::TimeZone,
}

/// One complaint category (R5: the complaint concerns a service of the office).
#[derive(Debug, Clone)]
pub struct Category {
    /// Code, for example "kekerasan_anak".
    pub code: String,
    /// Its name in Bahasa Indonesia, for documents.
    pub label: String,
    /// The Bidang that usually handles it.
    pub bidang: String,
    /// A PUSPAGA family-counselling matter (no reported party needed for R2).
    pub puspaga: bool,
    /// Involves violence.
    pub violence: bool,
    /// Concerns a child by its nature.
    pub child: bool,
}

/// One Bidang (division) of an office, the target of a disposition (S7).
#[derive(Debug, Clone)]
pub struct Bidang {
    /// Code, for example "rehsos".
    pub code: String,
    /// Name, for example "Bidang Rehabilitasi Sosial".
    pub name: String,
}

/// One kind of outside agency (`data/agencies.csv`): where S4 refers a complaint that is not the
/// office's authority, and where S16 sends a handling report besides the complainant and the Head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    /// Code, for example "uptd_ppa".
    pub code: String,
    /// Name with `{wilayah}` for the office's region.
    pub name_template: String,
}

impl Agency {
    /// The agency's name for an office ("Kepolisian Resor Kabupaten Sampang").
    pub fn name_for(&self, office_name: &str) -> String {
        self.name_template
            .replace("{wilayah}", &region(office_name))
    }
}

/// The region of an office's name: "Dinas Sosial P3A Kabupaten Sampang" -> "Kabupaten Sampang".
pub fn region(office_name: &str) -> String {
    for marker in ["Kabupaten ", "Kota "] {
        if let Some(i) = office_name.find(marker) {
            return office_name[i..].trim().to_string();
        }
    }
    office_name.trim().to_string()
}

/// The agency directory: `agencies.csv` from `dir` when it has one, else the embedded copy.
pub fn load_agencies(dir: Option<&Path>) -> Result<Vec<Agency>> {
    let text = match dir.map(|d| d.join("agencies.csv")) {
        Some(p) if p.exists() => std::fs::read_to_string(&p).map_err(|e| {
            Error::invalid(
                "reference_data_dir",
                format!("cannot read {}: {e}", p.display()),
            )
        })?,
        _ => EMBEDDED_AGENCIES.to_string(),
    };
    let agencies: Vec<Agency> = parse_csv(&text)?
        .into_iter()
        .map(|r| Agency {
            code: r.get("code").cloned().unwrap_or_default(),
            name_template: r.get("name_template").cloned().unwrap_or_default(),
        })
        .filter(|a| !a.code.is_empty() && !a.name_template.is_empty())
        .collect();
    if agencies.is_empty() {
        return Err(Error::invalid(
            "reference_data_dir",
            "agencies.csv has no entries",
        ));
    }
    Ok(agencies)
}

/// One recommendation a handling report can make (SOP S15, `data/recommendations.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    /// Code, for example "pendampingan_psikologis".
    pub code: String,
    /// As printed in the report.
    pub label: String,
}

/// The recommendations: `recommendations.csv` from `dir` when it has one, else the embedded
/// copy.
pub fn load_recommendations(dir: Option<&Path>) -> Result<Vec<Recommendation>> {
    let text = match dir.map(|d| d.join("recommendations.csv")) {
        Some(p) if p.exists() => std::fs::read_to_string(&p).map_err(|e| {
            Error::invalid(
                "reference_data_dir",
                format!("cannot read {}: {e}", p.display()),
            )
        })?,
        _ => EMBEDDED_RECOMMENDATIONS.to_string(),
    };
    let recommendations: Vec<Recommendation> = parse_csv(&text)?
        .into_iter()
        .map(|r| Recommendation {
            code: r.get("code").cloned().unwrap_or_default(),
            label: r.get("label_id").cloned().unwrap_or_default(),
        })
        .filter(|r| !r.code.is_empty() && !r.label.is_empty())
        .collect();
    if recommendations.is_empty() {
        return Err(Error::invalid(
            "reference_data_dir",
            "recommendations.csv has no entries",
        ));
    }
    Ok(recommendations)
}

/// One code of a coded list with its text in Bahasa Indonesia: a SIMFONI-PPA term
/// (`data/simfoni_ppa_taxonomy.csv`) or a PUSPAGA counselling topic (`data/puspaga_services.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The list, for example "jenis_kekerasan" or "topik".
    pub list: String,
    /// Code, for example "fisik".
    pub code: String,
    /// Its text, for example "Fisik".
    pub label: String,
}

/// The SIMFONI-PPA terms (S11 referrals) and the PUSPAGA topics (S11 counselling sessions), from
/// `dir` when it has the files, else the embedded copies: the same lists investigation checks.
pub fn load_terms(dir: Option<&Path>) -> Result<Vec<Term>> {
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
    let mut terms = Vec::new();
    for (file, embedded, list_col, label_col) in [
        (
            "simfoni_ppa_taxonomy.csv",
            EMBEDDED_SIMFONI,
            "category",
            "label_id",
        ),
        (
            "puspaga_services.csv",
            EMBEDDED_PUSPAGA,
            "type",
            "description",
        ),
    ] {
        for r in parse_csv(&read(file, embedded)?)? {
            let get = |k: &str| r.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
            let (list, code, label) = (get(list_col), get("code"), get(label_col));
            if !list.is_empty() && !code.is_empty() {
                terms.push(Term { list, code, label });
            }
        }
    }
    for list in ["jenis_kekerasan", "kelompok_usia", "layanan", "topik"] {
        if !terms.iter().any(|t| t.list == list) {
            return Err(Error::invalid(
                "reference_data_dir",
                format!("the reference data has no {list} codes"),
            ));
        }
    }
    Ok(terms)
}

/// Offices, categories, Bidang, outside agencies, the handling report's recommendations, and the
/// SIMFONI-PPA and PUSPAGA lists.
#[derive(Debug, Clone)]
pub struct RefData {
    offices: HashMap<String, Office>,
    categories: HashMap<String, Category>,
    bidang: Vec<Bidang>,
    agencies: Vec<Agency>,
    recommendations: Vec<Recommendation>,
    terms: Vec<Term>,
}

const EMBEDDED_OFFICES: &[(&str, &str)] = &[("35", include_str!("../../../data/offices/35.csv"))];
const EMBEDDED_CATEGORIES: &str = include_str!("../../../data/categories.csv");
const EMBEDDED_BIDANG: &str = include_str!("../../../data/bidang.csv");
const EMBEDDED_AGENCIES: &str = include_str!("../../../data/agencies.csv");
const EMBEDDED_RECOMMENDATIONS: &str = include_str!("../../../data/recommendations.csv");
const EMBEDDED_SIMFONI: &str = include_str!("../../../data/simfoni_ppa_taxonomy.csv");
const EMBEDDED_PUSPAGA: &str = include_str!("../../../data/puspaga_services.csv");

/// Rows of a reference-data CSV (`#` comment lines, a header row, quoted fields) as maps of
/// column to value, read with the calendar crate's reader (the same one the holiday files use).
pub fn parse_csv(text: &str) -> Result<Vec<HashMap<String, String>>> {
    let records = aduan_calendar::read_csv(text)
        .map_err(|e| Error::invalid("reference_data_dir", e.to_string()))?;
    let mut it = records.into_iter();
    let Some(header) = it.next() else {
        return Ok(Vec::new());
    };
    Ok(it
        .map(|r| header.fields.iter().cloned().zip(r.fields).collect())
        .collect())
}

impl RefData {
    /// The data of the configured province, from `reference_data_dir` or the embedded copy.
    pub fn configured(config: &aduan_runtime::config::Config) -> Result<Self> {
        let dir =
            (!config.reference_data_dir.is_empty()).then(|| Path::new(&config.reference_data_dir));
        Self::load(&config.province, dir)
    }

    /// The data for `province`: from `dir` when given, else the embedded copy.
    pub fn load(province: &str, dir: Option<&Path>) -> Result<Self> {
        let (offices_text, categories_text, bidang_text) = match dir {
            Some(d) => {
                let read = |p: &Path| {
                    std::fs::read_to_string(p).map_err(|e| {
                        Error::invalid(
                            "reference_data_dir",
                            format!("cannot read {}: {e}", p.display()),
                        )
                    })
                };
                (
                    read(&d.join("offices").join(format!("{province}.csv")))?,
                    read(&d.join("categories.csv"))?,
                    read(&d.join("bidang.csv"))?,
                )
            }
            None => (
                EMBEDDED_OFFICES
                    .iter()
                    .find(|(p, _)| *p == province)
                    .map(|(_, t)| t.to_string())
                    .ok_or_else(|| {
                        Error::invalid(
                            "province",
                            "no embedded office list for this province; set reference_data_dir",
                        )
                    })?,
                EMBEDDED_CATEGORIES.to_string(),
                EMBEDDED_BIDANG.to_string(),
            ),
        };
        let mut offices = HashMap::new();
        for row in parse_csv(&offices_text)? {
            let get = |k: &str| row.get(k).cloned().unwrap_or_default();
            let tz_name = get("time_zone");
            let time_zone = jiff::tz::TimeZone::get(&tz_name)
                .map_err(|_| Error::invalid("offices", format!("unknown time zone {tz_name}")))?;
            let code = get("code");
            offices.insert(
                code.clone(),
                Office {
                    code,
                    name: get("name"),
                    time_zone,
                },
            );
        }
        let mut categories = HashMap::new();
        for row in parse_csv(&categories_text)? {
            let get = |k: &str| row.get(k).cloned().unwrap_or_default();
            let code = get("code");
            categories.insert(
                code.clone(),
                Category {
                    child: code.contains("anak"),
                    label: get("label_id"),
                    code,
                    bidang: get("bidang"),
                    puspaga: get("puspaga") == "true",
                    violence: get("violence") == "true",
                },
            );
        }
        let bidang: Vec<Bidang> = parse_csv(&bidang_text)?
            .into_iter()
            .map(|row| Bidang {
                code: row.get("code").cloned().unwrap_or_default(),
                name: row.get("name").cloned().unwrap_or_default(),
            })
            .filter(|b| !b.code.is_empty())
            .collect();
        if offices.is_empty() || categories.is_empty() || bidang.is_empty() {
            return Err(Error::invalid(
                "reference_data_dir",
                "no offices, no categories or no Bidang",
            ));
        }
        Ok(Self {
            offices,
            categories,
            bidang,
            agencies: load_agencies(dir)?,
            recommendations: load_recommendations(dir)?,
            terms: load_terms(dir)?,
        })
    }

    /// The codes of one list in the file's order: a SIMFONI-PPA category ("jenis_kekerasan",
    /// "tempat_kejadian", "hubungan_pelaku", "kelompok_usia", "layanan") or PUSPAGA's "topik".
    pub fn terms(&self, list: &str) -> Vec<&Term> {
        self.terms.iter().filter(|t| t.list == list).collect()
    }

    /// The text of a code of a list, or the code itself when the list does not have it.
    pub fn term_label(&self, list: &str, code: &str) -> String {
        self.terms
            .iter()
            .find(|t| t.list == list && t.code == code)
            .map(|t| t.label.clone())
            .unwrap_or_else(|| code.to_string())
    }

    /// The recommendations a handling report can make, in the file's order.
    pub fn recommendations(&self) -> &[Recommendation] {
        &self.recommendations
    }

    /// The recommendation with this code.
    pub fn recommendation(&self, code: &str) -> Option<&Recommendation> {
        self.recommendations.iter().find(|r| r.code == code)
    }

    /// The office with this code.
    pub fn office(&self, code: &str) -> Option<&Office> {
        self.offices.get(code)
    }

    /// The category with this code.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.get(code)
    }

    /// The Bidang with this code.
    pub fn bidang(&self, code: &str) -> Option<&Bidang> {
        self.bidang.iter().find(|b| b.code == code)
    }

    /// The outside agency with this code (S4 referral, S16 distribution).
    pub fn agency(&self, code: &str) -> Option<&Agency> {
        self.agencies.iter().find(|a| a.code == code)
    }

    /// Every outside agency, in the order of the data file.
    pub fn agencies(&self) -> &[Agency] {
        &self.agencies
    }

    /// Every Bidang, in the order of the data file.
    pub fn bidang_list(&self) -> &[Bidang] {
        &self.bidang
    }

    /// Every office, ordered by code.
    pub fn offices(&self) -> Vec<&Office> {
        let mut v: Vec<&Office> = self.offices.values().collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }

    /// Every category, ordered by code.
    pub fn categories(&self) -> Vec<&Category> {
        let mut v: Vec<&Category> = self.categories.values().collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }

    /// Number of offices.
    pub fn office_count(&self) -> usize {
        self.offices.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_has_the_38_offices_of_jawa_timur_and_the_categories() {
        let r = RefData::load("35", None).unwrap();
        assert_eq!(r.office_count(), 38);
        let sampang = r.office("35.27").unwrap();
        assert!(sampang.name.contains("Sampang"));
        assert_eq!(sampang.time_zone.iana_name(), Some("Asia/Jakarta"));
        let k = r.category("kekerasan_anak").unwrap();
        assert!(k.violence && k.child && !k.puspaga);
        assert!(r.category("konseling_keluarga").unwrap().puspaga);
        assert!(r.category("tidak_ada").is_none());
        assert!(RefData::load("99", None).is_err());
        assert_eq!(
            r.bidang("rehsos").unwrap().name,
            "Bidang Rehabilitasi Sosial"
        );
        assert!(r.bidang("uptd_ppa").is_some());
        assert!(r.bidang("tidak_ada").is_none());
    }

    #[test]
    fn simfoni_and_puspaga_lists() {
        let r = RefData::load("35", None).unwrap();
        let violence: Vec<&str> = r
            .terms("jenis_kekerasan")
            .iter()
            .map(|t| t.code.as_str())
            .collect();
        assert_eq!(violence.first(), Some(&"fisik"));
        assert!(violence.contains(&"penelantaran"));
        assert_eq!(r.terms("kelompok_usia").len(), 7);
        assert_eq!(r.term_label("kelompok_usia", "13-17"), "13-17 tahun");
        assert!(r.terms("topik").iter().any(|t| t.code == "pengasuhan"));
        // A code a list does not have reads as itself; PUSPAGA's services are not topics.
        assert_eq!(r.term_label("topik", "informasi"), "informasi");
        assert!(r.terms("tidak_ada").is_empty());
    }

    #[test]
    fn csv_quotes_and_comments() {
        let rows = parse_csv(
            "# source line\ncode,name,kind\n35.27,\"Dinas Sosial, P3A \"\"Sampang\"\"\",kabupaten\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["name"], "Dinas Sosial, P3A \"Sampang\"");
        assert_eq!(rows[0]["kind"], "kabupaten");
    }
}
