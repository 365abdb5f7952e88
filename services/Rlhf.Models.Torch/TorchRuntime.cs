using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace Rlhf.Models.Torch;

/// <summary>
/// Loading libtorch and resolving <c>Model:Device</c> / <c>Model:Dtype</c>, with a start-up refusal that names what is
/// missing.
/// </summary>
public static class TorchRuntime
{
    /// <summary>"TorchSharp X, libtorch Y".</summary>
    public static string Version
    {
        get
        {
            var assembly = typeof(torch).Assembly;
            var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "?";
            return $"TorchSharp {version.Split('+')[0]}, libtorch {torch.__version__}";
        }
    }

    /// <summary>
    /// Loads libtorch (once per process) and checks that it works.
    /// </summary>
    /// <exception cref="ModelBackendUnavailableException">libLibTorchSharp or libtorch cannot be loaded; the message
    /// names the library and the usual cause (the libstdc++ compatibility step, or a missing runtime package).</exception>
    public static void EnsureLoaded()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new ModelBackendUnavailableException(
                "Model:Backend=torch: libtorch cannot be loaded (" + Innermost(e).Message.Trim() + "). It ships in the " +
                "libtorch-cpu-linux-x64 package next to TorchSharp's libLibTorchSharp.so; on a libstdc++ older than GCC 13 " +
                "(Debian 12) the build's torchsharp-compat step must have run (it needs patchelf and gcc: scripts/ensure-deps.sh).", e);
        }
    }

    /// <summary>Resolves a <c>Model:Device</c> string to a device this process can use.</summary>
    /// <exception cref="ArgumentException">Not cpu, cuda or cuda:N.</exception>
    /// <exception cref="ModelBackendUnavailableException">CUDA was asked for but is not available here, or has fewer devices.</exception>
    public static Device ResolveDevice(string device)
    {
        var (type, index) = ModelLoadOptions.ParseDevice(device);
        EnsureLoaded();
        if (type == "cpu")
            return torch.CPU;
        if (!torch.cuda.is_available())
            throw new ModelBackendUnavailableException(
                $"Model:Device={device}, but CUDA is not available in this process: this build references the CPU libtorch " +
                "package (libtorch-cpu-linux-x64), or no NVIDIA driver/GPU is visible. Use Model:Device=cpu, or run an image " +
                "built with -p:TorchBackend=cuda (TorchSharp-cuda-linux) on a GPU node.");
        var count = torch.cuda.device_count();
        if (index >= count)
            throw new ModelBackendUnavailableException($"Model:Device={device}, but this machine has {count} CUDA device(s) (cuda:0 … cuda:{count - 1})");
        return torch.device(DeviceType.CUDA, index);
    }

    /// <summary>The libtorch scalar type of a <see cref="ModelDtype"/>.</summary>
    public static ScalarType ScalarTypeOf(ModelDtype dtype) => dtype switch
    {
        ModelDtype.Float32 => ScalarType.Float32,
        ModelDtype.BFloat16 => ScalarType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Model:Dtype must be float32 or bfloat16"),
    };

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
            e = e.InnerException;
        return e;
    }
}
