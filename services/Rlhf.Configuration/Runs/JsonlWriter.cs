using System.Text;
using System.Text.Json;

namespace Rlhf.Configuration.Runs;

/// <summary>
/// Appends one JSON object per line to a file and flushes after every line, so a crash loses at most the line being
/// written. Base of <see cref="MetricsWriter"/> and <see cref="SamplesWriter"/>.
/// </summary>
public abstract class JsonlWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly LineBuffer _buffer = new();

    /// <summary>Opens <paramref name="path"/> for appending (created when missing).</summary>
    protected JsonlWriter(string path)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <summary>Writes one object built by <paramref name="body"/> as a line and flushes it.</summary>
    protected void WriteLine(Action<Utf8JsonWriter> body)
    {
        _buffer.Reset();
        using (var writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Indented = false }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        _buffer.WriteByte((byte)'\n');
        _buffer.CopyTo(_stream);
        _stream.Flush();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stream.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A reusable in-memory stream.</summary>
    private sealed class LineBuffer : MemoryStream
    {
        public void Reset() => SetLength(0);

        public void CopyTo(FileStream target) => target.Write(GetBuffer(), 0, (int)Length);
    }
}

/// <summary>Writes <c>metrics.jsonl</c>: <c>{"iteration": 3, "objective/kl": 0.12, …}</c> per line; non-finite → null.</summary>
public sealed class MetricsWriter : JsonlWriter
{
    internal MetricsWriter(string path) : base(path)
    {
    }

    /// <summary>Appends the metrics of <paramref name="iteration"/> (key "iteration" first, then the metrics in order).</summary>
    public void Append(int iteration, IEnumerable<KeyValuePair<string, double>> metrics) =>
        WriteLine(w =>
        {
            w.WriteNumber("iteration", iteration);
            foreach (var (name, value) in metrics)
            {
                if (name == "iteration")
                    throw new ArgumentException("'iteration' is reserved in metrics.jsonl", nameof(metrics));
                JsonNumbers.Write(w, name, value);
            }
        });
}

/// <summary>Writes <c>samples.jsonl</c>: <c>{"iteration", "prompt", "response", "score", "kl"}</c> per line.</summary>
public sealed class SamplesWriter : JsonlWriter
{
    internal SamplesWriter(string path) : base(path)
    {
    }

    /// <summary>Appends one sample.</summary>
    public void Append(SampleRecord sample) =>
        WriteLine(w =>
        {
            w.WriteNumber("iteration", sample.Iteration);
            w.WriteString("prompt", sample.Prompt);
            w.WriteString("response", sample.Response);
            JsonNumbers.Write(w, "score", sample.Score);
            JsonNumbers.Write(w, "kl", sample.Kl);
        });
}
