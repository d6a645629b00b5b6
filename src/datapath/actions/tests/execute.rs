//! The executor, on fake packets that record shares, copies and drops.

use std::cell::RefCell;
use std::rc::Rc;

use super::fake::{Fake, Log};
use super::frames::{tagged, v4, L4};
use crate::datapath::actions::{execute, ExecReport, PacketBuf, Xorshift32, MAX_NESTING};
use crate::flow::odp::{Action, EthernetKey, KeyAttr, UserspaceAction};

fn frame() -> Vec<u8> {
    v4(L4::Udp, [1, 1, 1, 1], [2, 2, 2, 2], (10, 20), b"payload")
}

fn new_mac() -> Action {
    Action::Set(KeyAttr::Ethernet(EthernetKey {
        src: [0x0a; 6],
        dst: [0x0b; 6],
    }))
}

fn with_new_mac(frame: &[u8]) -> Vec<u8> {
    [&[0x0b; 6][..], &[0x0a; 6], &frame[12..]].concat()
}

/// Outputs as (port, bytes, buffer id), the report and the log.
struct Outcome {
    outputs: Vec<(u32, Vec<u8>, u32)>,
    report: ExecReport,
    log: Rc<RefCell<Log>>,
}

fn run_with(actions: &[Action], headroom: usize, log: Rc<RefCell<Log>>) -> Outcome {
    let pkt = Fake::new(&frame(), headroom, &log);
    let mut rng = Xorshift32::new(1);
    let mut outputs = Vec::new();
    let report = execute(actions, pkt, &mut rng, &mut |port, p: Fake| {
        outputs.push((port, p.data().to_vec(), p.buffer));
    });
    assert_eq!(log.borrow().live, 0, "every packet was output or dropped");
    assert_eq!(log.borrow().shared_writes, 0, "no shared buffer changed");
    Outcome {
        outputs,
        report,
        log,
    }
}

fn run(actions: &[Action]) -> Outcome {
    run_with(actions, 8, Rc::default())
}

fn ports(o: &Outcome) -> Vec<u32> {
    o.outputs.iter().map(|(p, _, _)| *p).collect()
}

#[test]
fn outputs_run_in_order_sharing_one_buffer() {
    let o = run(&[Action::Output(3), Action::Output(1), Action::Output(3)]);
    assert_eq!(ports(&o), [3, 1, 3]);
    assert!(o.outputs.iter().all(|(_, b, id)| *b == frame() && *id == 1));
    assert_eq!((o.log.borrow().shares, o.log.borrow().copies), (2, 0));
    assert_eq!(o.report.outputs, 3);
}

#[test]
fn an_output_before_a_rewrite_gets_a_deep_copy() {
    let o = run(&[Action::Output(1), new_mac(), Action::Output(2)]);
    assert_eq!(ports(&o), [1, 2]);
    assert_eq!(o.outputs[0].1, frame());
    assert_eq!(o.outputs[1].1, with_new_mac(&frame()));
    assert_ne!(o.outputs[0].2, o.outputs[1].2);
    assert_eq!((o.log.borrow().shares, o.log.borrow().copies), (0, 1));
}

#[test]
fn a_list_without_output_drops() {
    for actions in [vec![], vec![new_mac()], vec![Action::PopVlan, new_mac()]] {
        let o = run(&actions);
        assert!(o.outputs.is_empty());
        assert_eq!(o.report, ExecReport::default());
    }
}

#[test]
fn rewrites_after_the_last_output_are_not_needed() {
    let o = run(&[Action::Output(4), new_mac()]);
    assert_eq!(o.outputs, [(4, frame(), 1)]);
    assert_eq!((o.log.borrow().shares, o.log.borrow().copies), (0, 0));
}

#[test]
fn clone_runs_its_list_on_a_copy() {
    let o = run(&[
        Action::Clone(vec![new_mac(), Action::Output(1)]),
        Action::Output(2),
    ]);
    assert_eq!(ports(&o), [1, 2]);
    assert_eq!(o.outputs[0].1, with_new_mac(&frame()));
    assert_eq!(o.outputs[1].1, frame());
    assert_eq!(o.log.borrow().copies, 1);

    // Only outputs inside and after: a shared reference is enough.
    let o = run(&[Action::Clone(vec![Action::Output(1)]), Action::Output(2)]);
    assert_eq!(ports(&o), [1, 2]);
    assert_eq!((o.log.borrow().shares, o.log.borrow().copies), (1, 0));
}

#[test]
fn a_trailing_clone_runs_on_the_packet_itself_so_earlier_outputs_get_copies() {
    let o = run(&[
        Action::Output(1),
        Action::Clone(vec![
            Action::PushVlan {
                tpid: 0x8100,
                tci: 0x1005,
            },
            Action::Output(2),
        ]),
    ]);
    assert_eq!(o.outputs[0].1, frame());
    assert_eq!(o.outputs[1].1, tagged(&frame(), &[(0x8100, 5)]));
    assert_eq!((o.log.borrow().shares, o.log.borrow().copies), (0, 1));
}

#[test]
fn sample_at_zero_never_runs_and_at_max_always_does() {
    let never = Action::Sample {
        probability: 0,
        actions: vec![Action::Output(9)],
    };
    let always = Action::Sample {
        probability: u32::MAX,
        actions: vec![Action::Output(9)],
    };
    for _ in 0..100 {
        assert!(run(std::slice::from_ref(&never)).outputs.is_empty());
        assert_eq!(ports(&run(std::slice::from_ref(&always))), [9]);
    }
    let o = run(&[never, Action::Output(1), always.clone(), always]);
    assert_eq!(ports(&o), [1, 9, 9]);
}

#[test]
fn sample_at_half_runs_about_half_the_time() {
    let actions = [Action::Sample {
        probability: u32::MAX / 2,
        actions: vec![Action::Output(1)],
    }];
    let mut rng = Xorshift32::new(12345);
    let log = Rc::default();
    let mut taken = 0;
    for _ in 0..10_000 {
        let pkt = Fake::new(&frame(), 0, &log);
        execute(&actions, pkt, &mut rng, &mut |_, _| taken += 1);
    }
    assert!((4_700..=5_300).contains(&taken), "{taken} of 10000");
}

#[test]
fn userspace_is_counted_not_executed() {
    let o = run(&[
        Action::Userspace(UserspaceAction::default()),
        Action::Output(1),
    ]);
    assert_eq!(ports(&o), [1]);
    assert_eq!(o.report.userspace_skipped, 1);
}

#[test]
fn failed_copies_skip_only_their_output() {
    let log: Rc<RefCell<Log>> = Rc::default();
    log.borrow_mut().refuse_copies = true;
    let o = run_with(&[Action::Output(1), new_mac(), Action::Output(2)], 8, log);
    assert_eq!(ports(&o), [2]);
    assert_eq!(o.report.copy_failures, 1);
}

#[test]
fn a_vlan_push_without_headroom_drops_the_packet() {
    let push = Action::PushVlan {
        tpid: 0x8100,
        tci: 0x1001,
    };
    let o = run_with(
        &[Action::Output(1), push, Action::Output(2)],
        0,
        Rc::default(),
    );
    assert_eq!(ports(&o), [1]);
    assert_eq!(o.report.action_errors, 1);
}

#[test]
fn nesting_deeper_than_the_limit_is_not_run() {
    let mut actions = vec![Action::Output(1)];
    for _ in 0..MAX_NESTING {
        actions = vec![Action::Clone(actions)];
    }
    assert_eq!(ports(&run(&actions)), [1]);
    let too_deep = vec![Action::Clone(actions)];
    let o = run(&too_deep);
    assert!(o.outputs.is_empty());
    assert_eq!(o.report.action_errors, 1);
}
