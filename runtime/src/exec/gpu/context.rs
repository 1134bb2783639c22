//! The process-wide device, and the few helpers every kernel driver uses:
//! error scopes around all device work (wgpu's default handler panics on a
//! validation error), buffer creation within the device's limits, and
//! blocking read-back.

use crate::exec::ExecError;
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use wgpu::util::DeviceExt;

const BACKEND: &str = "gpu";

/// How to get a driver, in the one message every "no adapter" path shows.
const DRIVER_HINT: &str = "install a Vulkan driver (on Debian/Ubuntu: apt-get install mesa-vulkan-drivers libvulkan1 for the software lavapipe driver), or Metal on macOS, or DirectX 12 on Windows";

pub(crate) struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    /// Errors that escaped every scope (reported by the next scoped call).
    uncaptured: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<Option<String>>>,
    /// Serialises error scopes: without wgpu's `std` feature the scope stack
    /// is one per device, not per thread, so concurrent callers would pop
    /// each other's scopes.
    scope_lock: Mutex<()>,
}

pub(crate) fn backend_error(msg: impl Into<String>) -> ExecError {
    ExecError::Backend(format!("gpu: {}", msg.into()))
}

impl Gpu {
    /// The shared device, created on first use. Creating one per executor
    /// would cost a driver initialisation each time.
    pub fn get() -> Result<Arc<Gpu>, ExecError> {
        static GPU: OnceLock<Result<Arc<Gpu>, String>> = OnceLock::new();
        GPU.get_or_init(|| {
            // A panic inside a driver or wgpu must not take the caller down.
            std::panic::catch_unwind(init)
                .unwrap_or_else(|_| {
                    Err(format!(
                        "initialising the GPU failed unexpectedly; {DRIVER_HINT}"
                    ))
                })
                .map(Arc::new)
        })
        .clone()
        .map_err(|m| ExecError::Unavailable(BACKEND, m))
    }

    pub fn describe(&self) -> String {
        let i = &self.info;
        format!(
            "{} ({:?}, {:?}, driver {} {})",
            i.name, i.backend, i.device_type, i.driver, i.driver_info
        )
        .replace("  ", " ")
        .replace(" )", ")")
    }

    fn check_health(&self) -> Result<(), ExecError> {
        if let Some(why) = self.lost.lock().map(|g| g.clone()).unwrap_or(None) {
            return Err(backend_error(format!("the device was lost: {why}")));
        }
        let drained: Vec<String> = self
            .uncaptured
            .lock()
            .map(|mut g| g.drain(..).collect())
            .unwrap_or_default();
        if let Some(first) = drained.into_iter().next() {
            return Err(backend_error(first));
        }
        Ok(())
    }

    /// Run `f` (device work) inside error scopes; any validation,
    /// out-of-memory or internal error it caused becomes an `ExecError`.
    pub fn scoped<T>(&self, what: &str, f: impl FnOnce() -> T) -> Result<T, ExecError> {
        self.check_health()?;
        // A panic while holding the lock leaves no scope pushed (the guards
        // pop on drop), so a poisoned lock is still usable.
        let _lock = self.scope_lock.lock().unwrap_or_else(|p| p.into_inner());
        let internal = self.device.push_error_scope(wgpu::ErrorFilter::Internal);
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out = f();
        let errors = [
            pollster::block_on(validation.pop()),
            pollster::block_on(oom.pop()),
            pollster::block_on(internal.pop()),
        ];
        if let Some(e) = errors.into_iter().flatten().next() {
            let msg = match &e {
                wgpu::Error::OutOfMemory { .. } => "out of device memory".to_string(),
                other => other.to_string(),
            };
            return Err(backend_error(format!("{what}: {msg}")));
        }
        self.check_health()?;
        Ok(out)
    }

    /// Largest single buffer a kernel may bind.
    pub fn max_binding(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }

    pub fn storage_buffer(&self, label: &str, contents: &[u8]) -> Result<wgpu::Buffer, ExecError> {
        self.check_size(label, contents.len() as u64)?;
        self.scoped(label, || {
            self.device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents,
                    usage: wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_DST
                        | wgpu::BufferUsages::COPY_SRC,
                })
        })
    }

    pub fn empty_buffer(
        &self,
        label: &str,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer, ExecError> {
        let size = size.max(16).next_multiple_of(16);
        self.check_size(label, size)?;
        self.scoped(label, || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        })
    }

    fn check_size(&self, label: &str, size: u64) -> Result<(), ExecError> {
        if size > self.max_binding() {
            return Err(backend_error(format!(
                "{label}: {size} bytes needed, but this device allows at most {} bytes in one buffer",
                self.max_binding()
            )));
        }
        Ok(())
    }

    /// Block until all submitted work is done.
    pub fn wait(&self) -> Result<(), ExecError> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| backend_error(format!("waiting for the device: {e}")))?;
        self.check_health()
    }

    /// Copy the first `words` u32s of `src` back to the host (after all
    /// submitted work).
    pub fn read(&self, src: &wgpu::Buffer, words: usize) -> Result<Vec<u32>, ExecError> {
        let mut out = vec![0u32; words];
        self.read_into(src, words as u64 * 4, bytemuck::cast_slice_mut(&mut out))?;
        Ok(out)
    }

    /// Like `read`, into `out` (exactly `size` bytes), through a staging
    /// buffer.
    pub fn read_into(
        &self,
        src: &wgpu::Buffer,
        size: u64,
        out: &mut [u8],
    ) -> Result<(), ExecError> {
        if size == 0 {
            return Ok(());
        }
        let padded = size.next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT);
        let staging = self.empty_buffer(
            "read-back",
            padded,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        self.scoped("read-back copy", || {
            let mut enc = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("read-back"),
                });
            enc.copy_buffer_to_buffer(src, 0, &staging, 0, padded);
            self.queue.submit([enc.finish()]);
        })?;
        let (tx, rx) = mpsc::channel();
        self.scoped("mapping the read-back buffer", || {
            staging.map_async(wgpu::MapMode::Read, 0..padded, move |r| {
                let _ = tx.send(r);
            })
        })?;
        self.wait()?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(backend_error(format!("mapping the read-back buffer: {e}"))),
            Err(_) => return Err(backend_error("the read-back buffer was never mapped")),
        }
        let copied = self.scoped("reading the read-back buffer", || {
            match staging.get_mapped_range(0..padded) {
                Ok(view) => {
                    out.copy_from_slice(&view[..size as usize]);
                    Ok(())
                }
                Err(e) => Err(backend_error(format!("reading the read-back buffer: {e}"))),
            }
        })?;
        staging.unmap();
        copied
    }

    /// A compute pipeline for generated WGSL with entry point `main`.
    pub fn pipeline(
        &self,
        label: &str,
        wgsl: &str,
        layout: &[Binding],
    ) -> Result<Kernel, ExecError> {
        self.scoped(&format!("compiling the {label} kernel"), || {
            let entries: Vec<wgpu::BindGroupLayoutEntry> = layout
                .iter()
                .enumerate()
                .map(|(i, b)| wgpu::BindGroupLayoutEntry {
                    binding: i as u32,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: match b {
                            Binding::Read => wgpu::BufferBindingType::Storage { read_only: true },
                            Binding::ReadWrite => {
                                wgpu::BufferBindingType::Storage { read_only: false }
                            }
                            Binding::Uniform => wgpu::BufferBindingType::Uniform,
                        },
                        has_dynamic_offset: matches!(b, Binding::Uniform),
                        min_binding_size: None,
                    },
                    count: None,
                })
                .collect();
            let bgl = self
                .device
                .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some(label),
                    entries: &entries,
                });
            let pl = self
                .device
                .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                    label: Some(label),
                    bind_group_layouts: &[Some(&bgl)],
                    immediate_size: 0,
                });
            let module = self
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(label),
                    source: wgpu::ShaderSource::Wgsl(wgsl.into()),
                });
            let pipeline = self
                .device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(label),
                    layout: Some(&pl),
                    module: &module,
                    entry_point: Some("main"),
                    compilation_options: Default::default(),
                    cache: None,
                });
            Kernel { bgl, pipeline }
        })
    }

    /// Stride between per-dispatch parameter blocks in a uniform buffer.
    pub fn uniform_stride(&self, block: u64) -> u64 {
        block.next_multiple_of(self.limits.min_uniform_buffer_offset_alignment.max(16) as u64)
    }

    /// A bind group: buffer `i` at binding `i`; the uniform (if any) binds
    /// `uniform_block` bytes at a dynamic offset.
    pub fn bind(
        &self,
        k: &Kernel,
        buffers: &[&wgpu::Buffer],
        uniform_block: u64,
        layout: &[Binding],
    ) -> Result<wgpu::BindGroup, ExecError> {
        self.scoped("binding buffers", || {
            let entries: Vec<wgpu::BindGroupEntry> = buffers
                .iter()
                .zip(layout)
                .enumerate()
                .map(|(i, (buf, b))| wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: buf,
                        offset: 0,
                        size: match b {
                            Binding::Uniform => wgpu::BufferSize::new(uniform_block),
                            _ => None,
                        },
                    }),
                })
                .collect();
            self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &k.bgl,
                entries: &entries,
            })
        })
    }

    /// Record one dispatch per uniform block (`groups[i]` workgroups with the
    /// i-th block) and submit them together.
    pub fn dispatch(
        &self,
        k: &Kernel,
        bind: &wgpu::BindGroup,
        stride: u64,
        groups: &[u32],
    ) -> Result<(), ExecError> {
        self.scoped("dispatching", || {
            let mut enc = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: None,
                    timestamp_writes: None,
                });
                pass.set_pipeline(&k.pipeline);
                for (i, &g) in groups.iter().enumerate() {
                    if g == 0 {
                        continue;
                    }
                    pass.set_bind_group(0, bind, &[(i as u64 * stride) as u32]);
                    pass.dispatch_workgroups(g, 1, 1);
                }
            }
            self.queue.submit([enc.finish()]);
        })
    }
}

/// A buffer binding as a kernel declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binding {
    Read,
    ReadWrite,
    /// Per-dispatch parameters, bound at a dynamic offset.
    Uniform,
}

pub(crate) struct Kernel {
    bgl: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

fn init() -> Result<Gpu, String> {
    if wgpu::Instance::enabled_backend_features().is_empty() {
        return Err(format!(
            "this build has no GPU backend for this platform; {DRIVER_HINT}"
        ));
    }
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        force_fallback_adapter: false,
        compatible_surface: None,
        apply_limit_buckets: false,
    }))
    .map_err(|e| format!("no GPU adapter found ({e}); {DRIVER_HINT}"))?;
    let info = adapter.get_info();
    // Ask for everything the adapter offers: large tables and batches need
    // more than WebGPU's default limits.
    let limits = adapter.limits();
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("gssm"),
        required_features: wgpu::Features::empty(),
        required_limits: limits.clone(),
        memory_hints: wgpu::MemoryHints::Performance,
        ..Default::default()
    }))
    .map_err(|e| format!("the GPU adapter {} could not open a device: {e}", info.name))?;
    let uncaptured = Arc::new(Mutex::new(Vec::new()));
    let sink = uncaptured.clone();
    device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
        if let Ok(mut g) = sink.lock() {
            g.push(e.to_string());
        }
    }));
    let lost = Arc::new(Mutex::new(None));
    let lost_sink = lost.clone();
    device.set_device_lost_callback(move |reason, msg| {
        if let Ok(mut g) = lost_sink.lock() {
            *g = Some(format!("{reason:?}: {msg}"));
        }
    });
    Ok(Gpu {
        device,
        queue,
        info,
        limits,
        uncaptured,
        lost,
        scope_lock: Mutex::new(()),
    })
}
