//! The item under assessment: a processor or a memory stack, with every figure carrying its source.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A numeric precision a chip computes in, named as datasheets and the catalog name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Fp64,
    Fp32,
    Tf32,
    Fp16,
    Bf16,
    Fp8,
    Int8,
    Int4,
    Fp4,
}

impl Precision {
    pub const ALL: [Precision; 9] = [
        Precision::Fp64,
        Precision::Fp32,
        Precision::Tf32,
        Precision::Fp16,
        Precision::Bf16,
        Precision::Fp8,
        Precision::Int8,
        Precision::Int4,
        Precision::Fp4,
    ];

    /// The "bit length of the operation" used in the TPP formula.
    ///
    /// TF32 is stored in 32-bit registers but its operands carry 19 bits (1 sign, 8 exponent,
    /// 10 mantissa; NVIDIA A100 whitepaper). The regulation does not settle which length counts;
    /// we take 19, as Epoch AI's published TPP figures do, so that our TPP and theirs agree
    /// (a test compares them chip by chip). This choice decides TPP only for the few chips whose
    /// TF32 rate equals their 16-bit rate (AWS Trainium1, Inferentia2), where 32 bits would
    /// almost double their TPP.
    pub fn bits(self) -> u32 {
        match self {
            Precision::Fp64 => 64,
            Precision::Fp32 => 32,
            Precision::Tf32 => 19,
            Precision::Fp16 | Precision::Bf16 => 16,
            Precision::Fp8 | Precision::Int8 => 8,
            Precision::Int4 | Precision::Fp4 => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp64 => "fp64",
            Precision::Fp32 => "fp32",
            Precision::Tf32 => "tf32",
            Precision::Fp16 => "fp16",
            Precision::Bf16 => "bf16",
            Precision::Fp8 => "fp8",
            Precision::Int8 => "int8",
            Precision::Int4 => "int4",
            Precision::Fp4 => "fp4",
        }
    }

    pub fn parse(text: &str) -> Option<Precision> {
        Precision::ALL.into_iter().find(|p| p.name() == text)
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One figure and where it comes from. `source` is a human-readable citation, already resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure<T> {
    pub value: T,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl<T> Figure<T> {
    pub fn new(value: T, source: impl Into<String>) -> Figure<T> {
        Figure { value, source: source.into(), note: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// An integrated circuit that computes (GPU, NPU, TPU, ASIC).
    Processor,
    /// A stand-alone high-bandwidth-memory stack (ECCN 3A090.c).
    Hbm,
    /// A computer, electronic assembly or component containing processors (ECCN 4A090).
    System,
}

impl ItemKind {
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Processor => "processor",
            ItemKind::Hbm => "hbm",
            ItemKind::System => "system",
        }
    }
}

/// Everything the engines may need to know about one item. Unknown figures are `None`: no
/// engine guesses them, and a decision that needs one says so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub name: String,
    /// Catalog id, when the item came from the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    pub kind: ItemKind,
    pub datacenter: Option<Figure<bool>>,
    /// Applicable die area: logic dies on a non-planar process, HBM excluded (mm²).
    pub die_area_mm2: Option<Figure<f64>>,
    /// Dense (no sparsity) tera-operations per second, per precision.
    pub dense_tops: BTreeMap<Precision, Figure<f64>>,
    /// Aggregate bidirectional chip-to-chip I/O, GB/s.
    pub interconnect_gbps: Option<Figure<f64>>,
    /// Total DRAM bandwidth, GB/s.
    pub memory_bandwidth_gbps: Option<Figure<f64>>,
    pub transistors_billion: Option<Figure<f64>>,
    pub process_nm: Option<Figure<f64>>,
    pub hbm: Option<Figure<bool>>,
    /// Package or stack area of a memory stack (mm²), for `kind = hbm`.
    pub package_area_mm2: Option<Figure<f64>>,
    /// A TPP published as such where per-precision rates are not (used only then, and said so).
    pub reported_tpp: Option<Figure<f64>>,
}

impl Item {
    pub fn empty(name: impl Into<String>, kind: ItemKind) -> Item {
        Item {
            name: name.into(),
            catalog_id: None,
            kind,
            datacenter: None,
            die_area_mm2: None,
            dense_tops: BTreeMap::new(),
            interconnect_gbps: None,
            memory_bandwidth_gbps: None,
            transistors_billion: None,
            process_nm: None,
            hbm: None,
            package_area_mm2: None,
            reported_tpp: None,
        }
    }
}
