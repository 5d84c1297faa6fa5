//! Prints the path and query of the seed sample signed now (valid for the 60 s replay
//! window), and with an argument writes its body to that file. Used by `benches/load.sh`
//! before every run, so each run sends a fresh, correctly signed request.

fn main() {
    let request = tencent_webhook_benches::signed_request();
    if let Some(path) = std::env::args().nth(1) {
        std::fs::write(&path, request.body()).expect("write the body");
    }
    println!("{}", request.path_and_query());
}
