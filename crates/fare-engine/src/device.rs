//! The device a model runs on, as a person names it (`cpu`, `cuda`, `cuda:1`, `metal`), opened
//! with an error that says what to do, and the memory a GPU has free before a model is loaded
//! onto it.
//!
//! candle's device constructors exist in every build and fail at run time without the backend's
//! cargo feature; [`DeviceChoice::open`] turns that into a sentence naming the build to make.
//! [`memory`] asks the CUDA driver (`cuMemGetInfo`) for the free and total memory of the GPU a
//! device is on, and Linux (`/proc/meminfo`: `MemAvailable`, `MemTotal`) for the CPU's; it is
//! `None` on Metal and where neither can say. [`check_fits`] refuses a model larger than that
//! before any weight is read, so a load that would end in the kernel's out-of-memory killer or
//! a CUDA allocation failure halfway through ends with a sentence instead.

use std::fmt;
use std::str::FromStr;

use candle_core::{DType, Device};
use serde::{Deserialize, Serialize};

use crate::EngineError;

/// Where a model runs; written as a person names it (`cpu`, `cuda`, `cuda:1`, `metal`) in JSON
/// as on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(type = "\"cpu\" | \"cuda\" | `cuda:${number}` | \"metal\"")
)]
pub enum DeviceChoice {
    /// The CPU (every build).
    Cpu,
    /// An NVIDIA GPU by its ordinal (builds with the `cuda` feature).
    Cuda(usize),
    /// The Apple GPU (builds with the `metal` feature).
    Metal,
}

impl DeviceChoice {
    /// Every way of writing a device, for messages.
    pub const FORMS: &str = "cpu, cuda, cuda:N, metal";

    /// The devices this build was compiled for (not whether a GPU is present).
    pub fn compiled() -> Vec<DeviceChoice> {
        let mut devices = vec![DeviceChoice::Cpu];
        if candle_core::utils::cuda_is_available() {
            devices.push(DeviceChoice::Cuda(0));
        }
        if candle_core::utils::metal_is_available() {
            devices.push(DeviceChoice::Metal);
        }
        devices
    }

    /// Whether this build can run models on it (any CUDA ordinal in a CUDA build).
    pub fn is_compiled(self) -> bool {
        DeviceChoice::compiled()
            .iter()
            .any(|d| std::mem::discriminant(d) == std::mem::discriminant(&self))
    }

    /// The compiled devices as a list for messages (`cpu, cuda`).
    pub fn compiled_list() -> String {
        DeviceChoice::compiled()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether this is a GPU.
    pub fn is_gpu(self) -> bool {
        self != DeviceChoice::Cpu
    }

    /// The weight and activation type a safetensors model loads as by default: f32 on the CPU
    /// (bf16 has no fast CPU kernels), bf16 on a GPU.
    pub fn default_dtype(self) -> WeightDtype {
        if self.is_gpu() {
            WeightDtype::Bf16
        } else {
            WeightDtype::F32
        }
    }

    /// Opens the device.
    pub fn open(self) -> Result<Device, EngineError> {
        let built = |feature: &str, e: candle_core::Error| {
            if self.is_compiled() {
                EngineError::Device(format!("cannot open {self}: {e}"))
            } else {
                EngineError::Device(format!(
                    "this build of FARE Lens runs on {} only; {self} needs a build with the `{feature}` feature{}",
                    DeviceChoice::compiled_list(),
                    if feature == "cuda" {
                        " (bash src-tauri/build-cuda.sh)"
                    } else {
                        ""
                    }
                ))
            }
        };
        match self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Cuda(ordinal) => Device::new_cuda(ordinal).map_err(|e| built("cuda", e)),
            DeviceChoice::Metal => Device::new_metal(0).map_err(|e| built("metal", e)),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceChoice::Cpu => f.write_str("cpu"),
            DeviceChoice::Cuda(0) => f.write_str("cuda"),
            DeviceChoice::Cuda(n) => write!(f, "cuda:{n}"),
            DeviceChoice::Metal => f.write_str("metal"),
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = EngineError;

    fn from_str(text: &str) -> Result<DeviceChoice, EngineError> {
        let unknown =
            || EngineError::Device(format!("unknown device `{text}` ({})", DeviceChoice::FORMS));
        match text.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" | "gpu" => Ok(DeviceChoice::Cuda(0)),
            "metal" => Ok(DeviceChoice::Metal),
            other => other
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(DeviceChoice::Cuda)
                .ok_or_else(unknown),
        }
    }
}

impl Serialize for DeviceChoice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeviceChoice {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A safetensors model's weight and activation type: what a person picks when loading one (a
/// GGUF file keeps its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum WeightDtype {
    /// 32-bit floats: the CPU's default (bf16 has no fast CPU kernels).
    F32,
    /// bfloat16: a GPU's default, the type FARE's checkpoints are published in.
    Bf16,
    /// 16-bit floats.
    F16,
}

impl WeightDtype {
    /// Every choice, the CPU's default first.
    pub const ALL: [WeightDtype; 3] = [WeightDtype::F32, WeightDtype::Bf16, WeightDtype::F16];

    /// candle's type.
    pub fn dtype(self) -> DType {
        match self {
            WeightDtype::F32 => DType::F32,
            WeightDtype::Bf16 => DType::BF16,
            WeightDtype::F16 => DType::F16,
        }
    }

    /// The name on the command line and in the API (`f32`, `bf16`, `f16`).
    pub fn name(self) -> &'static str {
        match self {
            WeightDtype::F32 => "f32",
            WeightDtype::Bf16 => "bf16",
            WeightDtype::F16 => "f16",
        }
    }
}

/// Read from JSON as [`FromStr`] reads it, with the same message for an unknown one.
impl<'de> Deserialize<'de> for WeightDtype {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for WeightDtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for WeightDtype {
    type Err = EngineError;

    /// The names, and transformers' (`bfloat16`, `float16`, `float32`), in any case.
    fn from_str(text: &str) -> Result<WeightDtype, EngineError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "f32" | "float32" => Ok(WeightDtype::F32),
            "bf16" | "bfloat16" => Ok(WeightDtype::Bf16),
            "f16" | "float16" => Ok(WeightDtype::F16),
            _ => Err(EngineError::Device(format!(
                "unknown dtype `{text}` (f32, bf16, f16)"
            ))),
        }
    }
}

/// A device's memory, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeviceMemory {
    /// Free now (other programs' use subtracted).
    pub free_bytes: u64,
    /// All of it.
    pub total_bytes: u64,
}

/// The free and total memory of `device`: the GPU's, or the machine's for the CPU; `None`
/// where it cannot be read.
pub fn memory(device: &Device) -> Option<DeviceMemory> {
    #[cfg(feature = "cuda")]
    if let Device::Cuda(cuda) = device {
        let (free, total) = cuda.cuda_stream().context().mem_get_info().ok()?;
        return Some(DeviceMemory {
            free_bytes: free as u64,
            total_bytes: total as u64,
        });
    }
    if device.is_cpu() {
        return system_memory(&std::fs::read_to_string("/proc/meminfo").ok()?);
    }
    None
}

/// The machine's available and total memory from the text of `/proc/meminfo`.
fn system_memory(meminfo: &str) -> Option<DeviceMemory> {
    let kilobytes = |key: &str| {
        meminfo.lines().find_map(|line| {
            let rest = line.strip_prefix(key)?.strip_prefix(':')?;
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
    };
    Some(DeviceMemory {
        free_bytes: kilobytes("MemAvailable")? * 1024,
        total_bytes: kilobytes("MemTotal")? * 1024,
    })
}

/// The memory of GPU `ordinal`, asked without keeping a device open (for a model list shown
/// before anything is loaded); `None` without a CUDA build or GPU.
pub fn cuda_memory(ordinal: usize) -> Option<DeviceMemory> {
    #[cfg(feature = "cuda")]
    {
        use candle_core::cuda_backend::cudarc::driver::CudaContext;
        let context = CudaContext::new(ordinal).ok()?;
        let (free, total) = context.mem_get_info().ok()?;
        Some(DeviceMemory {
            free_bytes: free as u64,
            total_bytes: total as u64,
        })
    }
    #[cfg(not(feature = "cuda"))]
    {
        let _ = ordinal;
        None
    }
}

/// Refuses to load a model of `needed_bytes` onto `device` when it has less memory free, with
/// both sizes in the message; does nothing where the free memory is unknown.
pub fn check_fits(device: &Device, needed_bytes: u64, what: &str) -> Result<(), EngineError> {
    let Some(memory) = memory(device) else {
        return Ok(());
    };
    fits(memory, device.is_cpu(), needed_bytes, what)
}

fn fits(memory: DeviceMemory, cpu: bool, needed_bytes: u64, what: &str) -> Result<(), EngineError> {
    if needed_bytes <= memory.free_bytes {
        return Ok(());
    }
    let (kind, advice) = if cpu {
        (
            "memory",
            "choose a smaller type (a Q8_0 or Q4_K GGUF: fare-lens convert) or close other programs",
        )
    } else {
        (
            "GPU memory",
            "choose a smaller type or expert format, free the GPU, or use the CPU",
        )
    };
    Err(EngineError::OutOfMemory(format!(
        "{what} needs about {} of {kind}, but {} is free (of {}); {advice}",
        gigabytes(needed_bytes),
        gigabytes(memory.free_bytes),
        gigabytes(memory.total_bytes)
    )))
}

/// Bytes as gigabytes with one decimal, the way the model panel writes them.
pub fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_read_as_people_write_them() {
        for (text, device) in [
            ("cpu", DeviceChoice::Cpu),
            ("CUDA", DeviceChoice::Cuda(0)),
            ("cuda:1", DeviceChoice::Cuda(1)),
            ("metal", DeviceChoice::Metal),
        ] {
            assert_eq!(text.parse::<DeviceChoice>().expect(text), device);
        }
        assert_eq!(DeviceChoice::Cuda(0).to_string(), "cuda");
        assert_eq!(DeviceChoice::Cuda(2).to_string(), "cuda:2");
        let e = "tpu".parse::<DeviceChoice>().expect_err("tpu");
        assert!(
            e.to_string().contains("unknown device `tpu` (cpu, cuda"),
            "{e}"
        );
        assert!("cuda:x".parse::<DeviceChoice>().is_err());
        assert_eq!(
            "BF16".parse::<WeightDtype>().expect("bf16"),
            WeightDtype::Bf16
        );
        assert_eq!(
            "float16".parse::<WeightDtype>().expect("f16").dtype(),
            DType::F16
        );
        let e = "int8".parse::<WeightDtype>().expect_err("int8");
        assert_eq!(e.to_string(), "unknown dtype `int8` (f32, bf16, f16)");
    }

    #[test]
    fn devices_and_dtypes_cross_json_as_people_write_them() {
        let json = serde_json::json!(["cpu", "cuda", "cuda:1", "metal"]);
        let devices: Vec<DeviceChoice> = serde_json::from_value(json.clone()).expect("devices");
        assert_eq!(devices[2], DeviceChoice::Cuda(1));
        assert_eq!(serde_json::to_value(&devices).expect("json"), json);
        let e = serde_json::from_value::<DeviceChoice>(serde_json::json!("tpu")).expect_err("tpu");
        assert!(e.to_string().contains("unknown device `tpu`"), "{e}");
        let dtypes: Vec<WeightDtype> =
            serde_json::from_value(serde_json::json!(["f32", "bf16", "f16"])).expect("dtypes");
        assert_eq!(dtypes, WeightDtype::ALL);
        let e = serde_json::from_value::<WeightDtype>(serde_json::json!("int8")).expect_err("int8");
        assert!(e.to_string().contains("unknown dtype `int8`"), "{e}");
    }

    #[test]
    fn the_machines_memory_is_read_from_meminfo() {
        let text = "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   20480000 kB\n";
        let m = system_memory(text).expect("reads");
        assert_eq!(m.total_bytes, 24_576_000 * 1024);
        assert_eq!(m.free_bytes, 20_480_000 * 1024);
        assert!(system_memory("MemTotal: 5 kB").is_none());
    }

    #[test]
    fn a_model_larger_than_the_free_memory_is_refused_with_both_sizes() {
        let memory = DeviceMemory {
            free_bytes: 9_100_000_000,
            total_bytes: 80_000_000_000,
        };
        let e = fits(memory, false, 16_400_000_000, "FARE-8B as bf16").expect_err("too big");
        assert_eq!(
            e.to_string(),
            "FARE-8B as bf16 needs about 16.4 GB of GPU memory, but 9.1 GB is free (of 80.0 GB); choose a smaller type or expert format, free the GPU, or use the CPU"
        );
        fits(memory, false, 9_000_000_000, "small").expect("fits");
        let e = fits(memory, true, 16_400_000_000, "m").expect_err("too big");
        assert!(
            e.to_string().contains("16.4 GB of memory, but 9.1 GB"),
            "{e}"
        );
    }

    #[test]
    fn the_cpu_opens_and_its_memory_is_known_on_linux() {
        let cpu = DeviceChoice::Cpu.open().expect("cpu");
        if cfg!(target_os = "linux") {
            let m = memory(&cpu).expect("meminfo");
            assert!(m.free_bytes > 0 && m.free_bytes <= m.total_bytes);
            check_fits(&cpu, u64::MAX, "everything").expect_err("nothing has that much");
        }
        check_fits(&cpu, 1, "a byte").expect("fits");
        assert_eq!(DeviceChoice::Cpu.default_dtype(), WeightDtype::F32);
        assert_eq!(DeviceChoice::Cuda(0).default_dtype(), WeightDtype::Bf16);
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn a_gpu_in_a_cpu_build_names_the_build_to_make() {
        let e = DeviceChoice::Cuda(0)
            .open()
            .expect_err("no cuda in this build");
        let text = e.to_string();
        assert!(
            text.contains("runs on cpu only") && text.contains("build-cuda.sh"),
            "{text}"
        );
        assert!(cuda_memory(0).is_none());
    }
}
