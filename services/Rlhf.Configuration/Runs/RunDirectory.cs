using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Rlhf.Configuration.Runs;

/// <summary>
/// The on-disk layout of one run:
/// <code>
/// &lt;root&gt;/config.yaml         effective config (atomic)
/// &lt;root&gt;/metrics.jsonl       one object per iteration, flushed per line
/// &lt;root&gt;/samples.jsonl       sample responses
/// &lt;root&gt;/eval_samples.jsonl  every held-out response of the initial and the final evaluation (atomic)
/// &lt;root&gt;/summary.json        headline numbers (atomic)
/// &lt;root&gt;/report.html         the HTML report (atomic)
/// &lt;root&gt;/checkpoints/iter-0012/   one directory per saved iteration (4+ digits)
/// &lt;root&gt;/checkpoints/latest       symbolic link to the newest complete checkpoint, e.g. "iter-0012" (replaced atomically)
/// </code>
/// Non-finite numbers are written as JSON null and read back as NaN (<see cref="JsonNumbers"/>).
/// <para>One directory holds one run. <see cref="Open"/> refuses a new run in a directory that holds another run's
/// files (<see cref="RunStart.New"/>), deletes them first (<see cref="RunStart.Overwrite"/>), or tidies an interrupted
/// run for its resume (<see cref="RunStart.Resume"/>); <see cref="CreateTimestamped"/> makes a fresh directory.</para>
/// </summary>
public sealed partial class RunDirectory
{
    /// <summary>The entries a run (PPO or reward-model training) writes; <see cref="RunStart.Overwrite"/> deletes only these.</summary>
    public static IReadOnlyList<string> RunEntries { get; } =
    [
        "config.yaml", "metrics.jsonl", "samples.jsonl", EvalSamplesFile, "summary.json", "report.html", CheckpointsFolder,
        "model", "eval_pairs.jsonl",
    ];

    /// <summary>The name of the link to the newest run that <see cref="CreateTimestamped"/> keeps beside the runs.</summary>
    public const string LatestLink = "latest";

    private const string EvalSamplesFile = "eval_samples.jsonl";
    private const string CheckpointsFolder = "checkpoints";

    /// <summary>
    /// The directory of a new run of a command: <paramref name="outputDir"/> opened for a new run (replacing another
    /// run's files with <paramref name="overwrite"/>), or, when it is empty (output_dir unset), a fresh
    /// <see cref="CreateTimestamped"/> directory under <c>runs/&lt;config file name without extension&gt;</c> in
    /// <paramref name="currentDirectory"/>.
    /// </summary>
    /// <exception cref="RunDirectoryInUseException">See <see cref="Open"/>.</exception>
    public static RunDirectory ForNewRun(string outputDir, bool overwrite, string configPath, string currentDirectory, DateTimeOffset now) =>
        outputDir.Length > 0
            ? Open(outputDir, overwrite ? RunStart.Overwrite : RunStart.New)
            : CreateTimestamped(Path.Combine(currentDirectory, "runs", Path.GetFileNameWithoutExtension(configPath)), now);

    /// <summary>
    /// A model path as the commands take it (<c>--model</c>): a PPO checkpoint folder <c>checkpoints/iter-NNNN</c>, or
    /// the <c>checkpoints/latest</c> link to one (or, in runs written before links, the pointer file), stands for the
    /// model <paramref name="role"/> saved in it (<c>policy</c>, <c>critic</c>); a folder without a config.json whose
    /// <c>model/</c> subfolder is a checkpoint (a train-reward run's output_dir) stands for that subfolder, and a PPO run's
    /// directory for its <c>checkpoints/latest</c>; any other path is returned unchanged.
    /// </summary>
    public static string ResolveModelPath(string path, string role = "policy")
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full) && Path.GetFileName(full) == LatestLink && new FileInfo(full).Length < 64
            && File.ReadAllText(full).Trim() is var name && ParseCheckpointName(name) is not null)
            full = Path.Combine(Path.GetDirectoryName(full)!, name);
        if (!Directory.Exists(full))
            return path;
        var folder = new DirectoryInfo(full) is { LinkTarget: not null } link && link.ResolveLinkTarget(returnFinalTarget: true) is { } target
            ? target.FullName
            : full;
        var model = Path.Combine(folder, role);
        if (ParseCheckpointName(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder))) is not null && Directory.Exists(model))
            return model;
        if (File.Exists(Path.Combine(folder, "config.json")))
            return path;
        var trained = Path.Combine(folder, "model");
        if (File.Exists(Path.Combine(trained, "config.json")))
            return trained;
        var latest = Path.Combine(folder, CheckpointsFolder, LatestLink);
        return Directory.Exists(latest) || File.Exists(latest) ? ResolveModelPath(latest, role) : path;
    }

    /// <summary>The run directory at <paramref name="root"/> (nothing is created). A symbolic link (e.g. a parent's
    /// <c>latest</c>) is resolved, so a run keeps writing where it started when the link moves on.</summary>
    public RunDirectory(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        var full = Path.GetFullPath(root);
        Root = new DirectoryInfo(full) is { LinkTarget: not null } link && link.ResolveLinkTarget(returnFinalTarget: true) is { } target
            ? target.FullName
            : full;
    }

    /// <summary>
    /// Opens the run directory at <paramref name="root"/> for a run, creating it when missing.
    /// <list type="bullet">
    /// <item><see cref="RunStart.New"/>: refuses a directory that holds anything but an empty <c>checkpoints/</c>.</item>
    /// <item><see cref="RunStart.Overwrite"/>: deletes a run's entries (<see cref="RunEntries"/> and temporary files)
    /// and refuses, deleting nothing, when other files are there.</item>
    /// <item><see cref="RunStart.Resume"/>: deletes what describes the earlier end or a half-written step, which the
    /// resumed run writes again: <c>summary.json</c>, <c>report.html</c>, the final evaluation samples, temporary files,
    /// and checkpoint folders newer than <c>checkpoints/latest</c> (all of them when there is none).</item>
    /// </list>
    /// </summary>
    /// <exception cref="RunDirectoryInUseException">New: another run's files are there; Overwrite: files that are not a run's.</exception>
    public static RunDirectory Open(string root, RunStart start)
    {
        var run = new RunDirectory(root);
        if (Directory.Exists(run.Root))
        {
            switch (start)
            {
                case RunStart.New when run.Entries() is { Count: > 0 } entries:
                    throw new RunDirectoryInUseException(run.Root, entries, foreign: false);
                case RunStart.Overwrite:
                    run.DeleteRunEntries();
                    break;
                case RunStart.Resume:
                    run.TidyForResume();
                    break;
            }
        }
        Directory.CreateDirectory(run.Root);
        return run;
    }

    /// <summary>
    /// Creates a fresh run directory <c>&lt;parent&gt;/yyyyMMdd-HHmmss</c> (the clock time of <paramref name="now"/>;
    /// <c>-2</c>, <c>-3</c>, … appended when that name is taken) and points the link <c>&lt;parent&gt;/latest</c> at it.
    /// </summary>
    public static RunDirectory CreateTimestamped(string parent, DateTimeOffset now)
    {
        parent = Path.GetFullPath(parent);
        Directory.CreateDirectory(parent);
        var stem = now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        for (var n = 1; ; n++)
        {
            var name = n == 1 ? stem : $"{stem}-{n}";
            var path = Path.Combine(parent, name);
            if (Directory.Exists(path) || File.Exists(path))
                continue;
            Directory.CreateDirectory(path);
            ReplaceLink(Path.Combine(parent, LatestLink), name);
            return new RunDirectory(path);
        }
    }

    /// <summary>Absolute path of the run directory.</summary>
    public string Root { get; }

    /// <summary><c>config.yaml</c></summary>
    public string ConfigPath => Path.Combine(Root, "config.yaml");

    /// <summary><c>metrics.jsonl</c></summary>
    public string MetricsPath => Path.Combine(Root, "metrics.jsonl");

    /// <summary><c>samples.jsonl</c></summary>
    public string SamplesPath => Path.Combine(Root, "samples.jsonl");

    /// <summary><c>summary.json</c></summary>
    public string SummaryPath => Path.Combine(Root, "summary.json");

    /// <summary><c>report.html</c></summary>
    public string ReportPath => Path.Combine(Root, "report.html");

    /// <summary><c>eval_samples.jsonl</c></summary>
    public string EvalSamplesPath => Path.Combine(Root, EvalSamplesFile);

    /// <summary><c>checkpoints/</c></summary>
    public string CheckpointsPath => Path.Combine(Root, CheckpointsFolder);

    /// <summary><c>checkpoints/latest</c></summary>
    public string LatestPointerPath => Path.Combine(CheckpointsPath, "latest");

    /// <summary>Writes the effective config YAML atomically.</summary>
    public void WriteConfig(string yaml) => AtomicFile.WriteAllText(ConfigPath, yaml);

    /// <summary>Writes the HTML report atomically.</summary>
    public void WriteReport(string html) => AtomicFile.WriteAllText(ReportPath, html);

    // ---- metrics and samples ----

    /// <summary>
    /// Opens <c>metrics.jsonl</c> for appending. A fresh run (<paramref name="resumeFromIteration"/> null) starts an
    /// empty file. A resumed run keeps the lines with iteration ≤ <paramref name="resumeFromIteration"/> (and drops a
    /// torn last line), so iterations redone after the checkpoint are not logged twice.
    /// </summary>
    public MetricsWriter OpenMetricsWriter(int? resumeFromIteration = null)
    {
        Directory.CreateDirectory(Root);
        PrepareForAppend(MetricsPath, resumeFromIteration);
        return new MetricsWriter(MetricsPath);
    }

    /// <summary>Opens <c>samples.jsonl</c> for appending, with the same fresh/resume rule as metrics.</summary>
    public SamplesWriter OpenSamplesWriter(int? resumeFromIteration = null)
    {
        Directory.CreateDirectory(Root);
        PrepareForAppend(SamplesPath, resumeFromIteration);
        return new SamplesWriter(SamplesPath);
    }

    /// <summary>
    /// Reads <c>metrics.jsonl</c> (empty when missing). Null values read as NaN; non-numeric fields are ignored; a torn
    /// last line is skipped. Throws <see cref="FormatException"/> naming the line for a malformed line elsewhere.
    /// </summary>
    public IReadOnlyList<MetricsRecord> ReadMetrics() => ReadMetrics(MetricsPath);

    /// <summary>Reads a metrics JSONL file; see <see cref="ReadMetrics()"/>.</summary>
    public static IReadOnlyList<MetricsRecord> ReadMetrics(string path)
    {
        var records = new List<MetricsRecord>();
        foreach (var (element, _) in ReadObjects(path))
        {
            var values = new Dictionary<string, double>();
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name != "iteration" && JsonNumbers.TryRead(property.Value, out var v))
                    values[property.Name] = v;
            }
            records.Add(new MetricsRecord(element.GetProperty("iteration").GetInt32(), values));
        }
        return records;
    }

    /// <summary>Reads <c>samples.jsonl</c> (empty when missing); same tolerance as <see cref="ReadMetrics()"/>.</summary>
    public IReadOnlyList<SampleRecord> ReadSamples()
    {
        var samples = new List<SampleRecord>();
        foreach (var (e, _) in ReadObjects(SamplesPath))
        {
            samples.Add(new SampleRecord(
                e.GetProperty("iteration").GetInt32(),
                e.GetProperty("prompt").GetString() ?? "",
                e.GetProperty("response").GetString() ?? "",
                JsonNumbers.TryRead(e.GetProperty("score"), out var s) ? s : double.NaN,
                JsonNumbers.TryRead(e.GetProperty("kl"), out var k) ? k : double.NaN));
        }
        return samples;
    }

    /// <summary>
    /// Replaces <c>eval_samples.jsonl</c> atomically with <paramref name="samples"/>:
    /// <c>{"phase", "iteration", "index", "prompt", "response", "score", "kl"}</c> per line.
    /// </summary>
    public void WriteEvalSamples(IEnumerable<EvalSampleRecord> samples) =>
        AtomicFile.Write(EvalSamplesPath, stream =>
        {
            foreach (var sample in samples)
            {
                using (var writer = new Utf8JsonWriter(stream))
                {
                    writer.WriteStartObject();
                    writer.WriteString("phase", sample.Phase);
                    writer.WriteNumber("iteration", sample.Iteration);
                    writer.WriteNumber("index", sample.Index);
                    writer.WriteString("prompt", sample.Prompt);
                    writer.WriteString("response", sample.Response);
                    JsonNumbers.Write(writer, "score", sample.Score);
                    JsonNumbers.Write(writer, "kl", sample.Kl);
                    writer.WriteEndObject();
                }
                stream.WriteByte((byte)'\n');
            }
        });

    /// <summary>Reads <c>eval_samples.jsonl</c> (empty when missing); same tolerance as <see cref="ReadMetrics()"/>.</summary>
    public IReadOnlyList<EvalSampleRecord> ReadEvalSamples()
    {
        var samples = new List<EvalSampleRecord>();
        foreach (var (e, _) in ReadObjects(EvalSamplesPath))
        {
            samples.Add(new EvalSampleRecord(
                e.GetProperty("phase").GetString() ?? "",
                e.GetProperty("iteration").GetInt32(),
                e.GetProperty("index").GetInt32(),
                e.GetProperty("prompt").GetString() ?? "",
                e.GetProperty("response").GetString() ?? "",
                JsonNumbers.TryRead(e.GetProperty("score"), out var s) ? s : double.NaN,
                JsonNumbers.TryRead(e.GetProperty("kl"), out var k) ? k : double.NaN));
        }
        return samples;
    }

    // ---- summary ----

    /// <summary>Writes <c>summary.json</c> atomically from a typed summary.</summary>
    public void WriteSummary(RunSummary summary) => WriteSummary(summary.ToDictionary());

    /// <summary>Writes <c>summary.json</c> atomically: one flat object of numbers (non-finite → null), indented.</summary>
    public void WriteSummary(IReadOnlyDictionary<string, double> values) =>
        AtomicFile.Write(SummaryPath, stream =>
        {
            using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            writer.WriteStartObject();
            foreach (var (k, v) in values)
                JsonNumbers.Write(writer, k, v);
            writer.WriteEndObject();
        });

    /// <summary>
    /// Reads <c>summary.json</c> as key → value (null → NaN, non-numbers skipped), for gates and the report. Throws
    /// <see cref="FileNotFoundException"/> when it is missing.
    /// </summary>
    public IReadOnlyDictionary<string, double> ReadSummary()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SummaryPath));
        var values = new Dictionary<string, double>();
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (JsonNumbers.TryRead(property.Value, out var v))
                values[property.Name] = v;
        }
        return values;
    }

    // ---- checkpoints ----

    /// <summary>The folder name of a checkpoint: <c>iter-0012</c> (at least 4 digits).</summary>
    public static string CheckpointName(int iteration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        return "iter-" + iteration.ToString("D4", CultureInfo.InvariantCulture);
    }

    /// <summary>The path <c>checkpoints/iter-XXXX</c> for <paramref name="iteration"/> (not created).</summary>
    public string CheckpointPath(int iteration) => Path.Combine(CheckpointsPath, CheckpointName(iteration));

    /// <summary>
    /// Marks the checkpoint of <paramref name="iteration"/> as the newest complete one by atomically replacing the
    /// link <c>checkpoints/latest</c> (relative target <c>iter-XXXX</c>, so it works as a model path and survives
    /// moving the run). Call after everything in its folder is written. Throws
    /// <see cref="DirectoryNotFoundException"/> when the folder does not exist.
    /// </summary>
    public void MarkLatestCheckpoint(int iteration)
    {
        var path = CheckpointPath(iteration);
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"checkpoint folder does not exist: {path}");
        ReplaceLink(LatestPointerPath, CheckpointName(iteration));
    }

    /// <summary>
    /// The newest complete checkpoint named by <c>checkpoints/latest</c> (a link, or in runs written before links a
    /// text file holding the name), or null when there is none. Throws <see cref="FormatException"/> when it names
    /// something other than <c>iter-NNNN</c> or a missing folder.
    /// </summary>
    public (int Iteration, string Path)? LatestCheckpoint()
    {
        var info = new FileInfo(LatestPointerPath);
        string name;
        if (info.LinkTarget is { } target)
            name = Path.GetFileName(Path.TrimEndingDirectorySeparator(target));
        else if (info.Exists)
            name = File.ReadAllText(LatestPointerPath).Trim();
        else
            return null;
        if (ParseCheckpointName(name) is not { } iteration)
            throw new FormatException($"{LatestPointerPath}: expected 'iter-NNNN', got '{name}'");
        var path = Path.Combine(CheckpointsPath, name);
        if (!Directory.Exists(path))
            throw new FormatException($"{LatestPointerPath} names {name}, but {path} does not exist");
        return (iteration, path);
    }

    /// <summary>The iteration of a checkpoint folder name <c>iter-NNNN</c>, or null for any other name.</summary>
    public static int? ParseCheckpointName(string name) =>
        name.StartsWith("iter-", StringComparison.Ordinal)
        && int.TryParse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var iteration)
            ? iteration
            : null;

    /// <summary>
    /// Points the symbolic link <paramref name="link"/> at <paramref name="target"/> (relative to the link's folder)
    /// atomically: a new link under a temporary name is renamed over the old one (or over an old pointer file).
    /// </summary>
    public static void ReplaceLink(string link, string target)
    {
        var full = Path.GetFullPath(link);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        File.CreateSymbolicLink(temp, target);
        // rename(2) replaces the old entry atomically and never follows links (File.Move follows the new link and
        // refuses one that points at a folder).
        if (Rename(temp, full) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            File.Delete(temp);
            throw new IOException($"cannot point {full} at {target}: rename failed (errno {errno})");
        }
    }

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Rename(string oldPath, string newPath);

    // ---- internals ----

    /// <summary>What the directory holds, by name (folders with a trailing '/'), except an empty <c>checkpoints/</c>.</summary>
    private List<string> Entries()
    {
        var entries = new List<string>();
        foreach (var entry in new DirectoryInfo(Root).EnumerateFileSystemInfos())
        {
            var isFolder = entry is DirectoryInfo;
            if (isFolder && entry.Name == CheckpointsFolder && entry.LinkTarget is null && !Directory.EnumerateFileSystemEntries(entry.FullName).Any())
                continue;
            entries.Add(isFolder ? entry.Name + "/" : entry.Name);
        }
        entries.Sort(StringComparer.Ordinal);
        return entries;
    }

    private static bool IsTemporary(string name) => name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal);

    private void DeleteRunEntries()
    {
        var foreign = Entries().Where(e => !RunEntries.Contains(e.TrimEnd('/')) && !IsTemporary(e.TrimEnd('/'))).ToList();
        if (foreign.Count > 0)
            throw new RunDirectoryInUseException(Root, foreign, foreign: true);
        foreach (var entry in new DirectoryInfo(Root).EnumerateFileSystemInfos())
            Delete(entry);
    }

    private void TidyForResume()
    {
        foreach (var name in new[] { "summary.json", "report.html" })
            File.Delete(Path.Combine(Root, name));
        foreach (var temp in new DirectoryInfo(Root).EnumerateFiles(".*.tmp"))
            temp.Delete();
        if (File.Exists(EvalSamplesPath))
            WriteEvalSamples(ReadEvalSamples().Where(s => s.Phase == EvalSampleRecord.Initial).ToList());
        if (!Directory.Exists(CheckpointsPath))
            return;
        var latest = LatestCheckpoint()?.Iteration ?? -1;
        foreach (var entry in new DirectoryInfo(CheckpointsPath).EnumerateFileSystemInfos())
        {
            if (IsTemporary(entry.Name) || (ParseCheckpointName(entry.Name) is { } iteration && iteration > latest))
                Delete(entry);
        }
    }

    /// <summary>Deletes a file, a link (not what it points to) or a folder with its contents.</summary>
    private static void Delete(FileSystemInfo entry)
    {
        if (entry is DirectoryInfo folder && folder.LinkTarget is null)
            folder.Delete(recursive: true);
        else
            entry.Delete();
    }

    private static void PrepareForAppend(string path, int? resumeFromIteration)
    {
        if (resumeFromIteration is not { } resume)
        {
            File.WriteAllBytes(path, []);
            return;
        }
        if (!File.Exists(path))
            return;
        var kept = new List<string>();
        foreach (var (element, line) in ReadObjects(path))
        {
            if (element.GetProperty("iteration").GetInt32() <= resume)
                kept.Add(line);
        }
        AtomicFile.WriteAllText(path, kept.Count == 0 ? "" : string.Join('\n', kept) + "\n");
    }

    /// <summary>Parsed objects of a JSONL file with their raw lines; a torn (unparsable) last line is skipped.</summary>
    private static List<(JsonElement Element, string Line)> ReadObjects(string path)
    {
        var result = new List<(JsonElement, string)>();
        if (!File.Exists(path))
            return result;
        var lines = File.ReadAllText(path).Split('\n');
        var lastNonEmpty = Array.FindLastIndex(lines, l => l.Trim().Length > 0);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
                continue;
            var isLast = i == lastNonEmpty;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object
                    || !doc.RootElement.TryGetProperty("iteration", out var it) || it.ValueKind != JsonValueKind.Number)
                    throw new FormatException($"{path}:{i + 1}: expected an object with a numeric \"iteration\"");
                result.Add((doc.RootElement.Clone(), line));
            }
            catch (JsonException) when (isLast)
            {
                // a line torn by a crash mid-write: ignore it
            }
            catch (JsonException e)
            {
                throw new FormatException($"{path}:{i + 1}: invalid JSON: {e.Message}", e);
            }
        }
        return result;
    }
}
