//! Prints the CRDs of aduan as YAML (`aduan-crdgen`), or writes one file per CRD into a directory
//! (`aduan-crdgen --write helm/aduan/crds`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = match args.as_slice() {
        [] => None,
        [flag, dir] if flag == "--write" => Some(std::path::PathBuf::from(dir)),
        _ => {
            eprintln!("usage: aduan-crdgen [--write DIR]");
            return ExitCode::from(2);
        }
    };
    let mut out = String::new();
    for (file, crd) in aduan_cluster::crds() {
        let yaml = match aduan_cluster::crd_yaml(&crd) {
            Ok(yaml) => yaml,
            Err(e) => {
                eprintln!("aduan-crdgen: {e}");
                return ExitCode::FAILURE;
            }
        };
        match &dir {
            Some(dir) => {
                let path = dir.join(file);
                if let Err(e) = std::fs::write(&path, yaml) {
                    eprintln!("aduan-crdgen: cannot write {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
                println!("wrote {}", path.display());
            }
            None => {
                out.push_str("---\n");
                out.push_str(&yaml);
            }
        }
    }
    print!("{out}");
    ExitCode::SUCCESS
}
