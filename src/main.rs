fn main() {
    std::process::exit(sluice_cli_placeholder());
}

fn sluice_cli_placeholder() -> i32 {
    0
}
