mod execute;
mod fake;
mod frames;
mod props;
mod set_fields;
mod set_transport;
mod verify;
mod vlan;
