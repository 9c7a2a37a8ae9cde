//! `--pcap FILE`: the run's frames as pcapng, one Ethernet interface (`lo` hands
//! `AF_PACKET` Ethernet frames with zero addresses; a veth end real ones), time stamps
//! in nanoseconds.

use std::borrow::Cow;
use std::io::Write;

use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};

use super::capture::Packet;

/// Writes `packets`, captured on the interface `name`, to `out` as a pcapng section; the error in the crate's words.
pub fn write_pcapng(out: impl Write, name: &str, packets: &[Packet]) -> Result<(), String> {
    let mut writer = PcapNgWriter::new(out).map_err(|e| e.to_string())?;
    let interface = InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0,
        options: vec![
            InterfaceDescriptionOption::IfName(Cow::Borrowed(name)),
            // The time stamps are written in nanoseconds (10^-9 s).
            InterfaceDescriptionOption::IfTsResol(9),
        ],
    };
    writer
        .write_pcapng_block(interface)
        .map_err(|e| e.to_string())?;
    for p in packets {
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: p.at,
            original_len: p.len,
            data: Cow::Borrowed(&p.data),
            options: Vec::new(),
        };
        writer
            .write_pcapng_block(block)
            .map_err(|e| e.to_string())?;
    }
    writer.get_mut().flush().map_err(|e| e.to_string())
}
