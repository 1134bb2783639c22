//! Weight files as plain data: the `__metadata__` map and the tensors in
//! file order, each with the dtype name, shape and bytes the header claims.
//! Writing never validates, so shapes, dtypes and data may disagree.

use serde_json::{json, Map, Value};

#[derive(Clone, Debug, PartialEq)]
pub struct RawTensor {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    pub data: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RawFile {
    pub metadata: Option<Map<String, Value>>,
    pub tensors: Vec<RawTensor>,
}

impl RawTensor {
    /// Bytes per element of the dtype, for the dtypes mutations use.
    pub fn elem_size(&self) -> usize {
        dtype_size(&self.dtype)
    }
    pub fn elems(&self) -> usize {
        self.data.len() / self.elem_size()
    }
    pub fn get_i32(&self, k: usize) -> i32 {
        i32::from_le_bytes(self.data[4 * k..4 * k + 4].try_into().expect("4 bytes"))
    }
    pub fn set_i32(&mut self, k: usize, v: i32) {
        self.data[4 * k..4 * k + 4].copy_from_slice(&v.to_le_bytes());
    }
    pub fn i32s(&self) -> Vec<i32> {
        (0..self.data.len() / 4).map(|k| self.get_i32(k)).collect()
    }
}

/// Bytes per element; sub-byte and unknown dtypes count as one.
pub fn dtype_size(dtype: &str) -> usize {
    match dtype {
        "F64" | "I64" | "U64" | "C64" => 8,
        "F32" | "I32" | "U32" => 4,
        "F16" | "BF16" | "I16" | "U16" => 2,
        _ => 1,
    }
}

impl RawFile {
    /// Split a safetensors file into its parts; None unless the header is a
    /// JSON object whose entries lie inside the file.
    pub fn parse(bytes: &[u8]) -> Option<RawFile> {
        let n = usize::try_from(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)).ok()?;
        let header: Map<String, Value> =
            serde_json::from_slice(bytes.get(8..8usize.checked_add(n)?)?).ok()?;
        let data = &bytes[8 + n..];
        let mut metadata = None;
        let mut tensors = Vec::new();
        for (name, info) in header {
            if name == "__metadata__" {
                metadata = Some(info.as_object()?.clone());
                continue;
            }
            let off = info.get("data_offsets")?;
            let (s, e) = (
                off.get(0)?.as_u64()? as usize,
                off.get(1)?.as_u64()? as usize,
            );
            let shape = info
                .get("shape")?
                .as_array()?
                .iter()
                .map(Value::as_u64)
                .collect::<Option<Vec<u64>>>()?;
            tensors.push((
                s,
                RawTensor {
                    name,
                    dtype: info.get("dtype")?.as_str()?.to_string(),
                    shape,
                    data: data.get(s..e)?.to_vec(),
                },
            ));
        }
        tensors.sort_by_key(|t| t.0);
        Some(RawFile {
            metadata,
            tensors: tensors.into_iter().map(|t| t.1).collect(),
        })
    }

    /// Serialise with contiguous data offsets in tensor order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut header = Map::new();
        if let Some(m) = &self.metadata {
            header.insert("__metadata__".into(), Value::Object(m.clone()));
        }
        let mut data = Vec::new();
        for t in &self.tensors {
            let start = data.len();
            data.extend_from_slice(&t.data);
            header.insert(
                t.name.clone(),
                json!({"dtype": t.dtype, "shape": t.shape, "data_offsets": [start, data.len()]}),
            );
        }
        let header = Value::Object(header).to_string();
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&data);
        out
    }

    pub fn tensor(&self, name: &str) -> Option<&RawTensor> {
        self.tensors.iter().find(|t| t.name == name)
    }
    pub fn tensor_mut(&mut self, name: &str) -> Option<&mut RawTensor> {
        self.tensors.iter_mut().find(|t| t.name == name)
    }

    /// The gssm manifest, if present and JSON.
    pub fn manifest(&self) -> Option<Value> {
        serde_json::from_str(
            self.metadata
                .as_ref()?
                .get(gssm_runtime::format::MANIFEST_KEY)?
                .as_str()?,
        )
        .ok()
    }
    pub fn set_manifest(&mut self, m: &Value) {
        self.metadata.get_or_insert_with(Map::new).insert(
            gssm_runtime::format::MANIFEST_KEY.into(),
            Value::String(m.to_string()),
        );
    }
}
