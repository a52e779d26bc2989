use std::process::ExitCode;

fn main() -> ExitCode {
    match policy_outreach_cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("policy-outreach: {err:#}");
            ExitCode::FAILURE
        }
    }
}
