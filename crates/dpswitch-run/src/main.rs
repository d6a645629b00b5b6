//! dpswitch-run: runs a program with libdpswitch_run.so preloaded, so its
//! generic netlink sockets reach dpswitchd instead of the kernel.
//!
//! ```sh
//! dpswitch-run --socket /run/dpswitch/dpswitch.sock ovs-dpctl show
//! ```

mod launch;

use clap::Parser;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

#[derive(Parser, Debug)]
#[command(
    name = "dpswitch-run",
    version,
    about = "Run a netlink program (ovs-dpctl, ovs-vswitchd, ...) against dpswitchd",
    long_about = "Runs PROGRAM with libdpswitch_run.so (found next to this executable) \
                  prepended to LD_PRELOAD: its AF_NETLINK NETLINK_GENERIC sockets talk to \
                  dpswitchd's control socket instead of the kernel; every other socket stays \
                  the kernel's. Programs it starts are carried too."
)]
struct Args {
    /// dpswitchd's control socket (sets DPSWITCH_SOCKET; default: $DPSWITCH_SOCKET, else
    /// /run/dpswitch/dpswitch.sock)
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,

    /// The program and its arguments
    #[arg(
        value_name = "PROGRAM [ARGS]...",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    command: Vec<OsString>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let library = match launch::library_beside(std::env::current_exe()) {
        Ok(path) => path,
        Err(message) => {
            eprintln!("dpswitch-run: {message}");
            return ExitCode::from(2);
        }
    };
    let preload = match launch::preload_value(&library, std::env::var_os("LD_PRELOAD").as_deref()) {
        Ok(value) => value,
        Err(message) => {
            eprintln!("dpswitch-run: {message}");
            return ExitCode::from(2);
        }
    };
    let (program, rest) = args.command.split_first().expect("clap requires PROGRAM");
    let mut command = Command::new(program);
    command.args(rest).env("LD_PRELOAD", preload);
    if let Some(socket) = &args.socket {
        command.env("DPSWITCH_SOCKET", socket);
    }
    let error = command.exec();
    eprintln!(
        "dpswitch-run: cannot run {}: {error}",
        program.to_string_lossy()
    );
    ExitCode::from(if error.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_arguments_are_never_taken_for_options() {
        let args = Args::try_parse_from([
            "dpswitch-run",
            "--socket",
            "/s",
            "ovs-dpctl",
            "--help",
            "-m",
            "show",
        ])
        .unwrap();
        assert_eq!(args.socket, Some(PathBuf::from("/s")));
        assert_eq!(
            args.command,
            ["ovs-dpctl", "--help", "-m", "show"].map(OsString::from)
        );
        let args = Args::try_parse_from(["dpswitch-run", "--", "prog", "--socket", "x"]).unwrap();
        assert_eq!(args.socket, None);
        assert_eq!(args.command, ["prog", "--socket", "x"].map(OsString::from));
        assert!(Args::try_parse_from(["dpswitch-run", "--socket", "/s"]).is_err());
    }
}
