using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Rlhf.ServiceDefaults;

/// <summary>
/// Collects the measurements of chosen meters with a <see cref="MeterListener"/> and renders them in the Prometheus
/// text exposition format 0.0.4: counters as <c>&lt;name&gt;_total</c>, up-down counters and gauges as gauges,
/// histograms as cumulative <c>_bucket{le=…}</c> series plus <c>_sum</c> and <c>_count</c> (bucket bounds from the
/// instrument's advice, else OpenTelemetry's defaults). Names follow the OpenTelemetry → Prometheus convention:
/// dots become underscores and the unit is appended (<c>ms</c> → <c>_milliseconds</c>; <c>{…}</c> units add nothing).
/// Thread-safe.
/// </summary>
public sealed class PrometheusTextExporter : IDisposable
{
    /// <summary>The HTTP content type of <see cref="Scrape"/>'s output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentSeries> _instruments = new();
    private readonly HashSet<string> _meterNames;
    private readonly object? _meterScope;

    /// <summary>Starts listening.</summary>
    /// <param name="meterNames">Meters to export, e.g. <c>Rlhf.Grpc.Server</c>.</param>
    /// <param name="meterScope">
    /// When set, meters with another non-null <see cref="Meter.Scope"/> are ignored: pass the host's
    /// <see cref="IMeterFactory"/> so several hosts in one process export only their own measurements.
    /// </param>
    public PrometheusTextExporter(IEnumerable<string> meterNames, object? meterScope = null)
    {
        _meterNames = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _meterScope = meterScope;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!_meterNames.Contains(instrument.Meter.Name))
                return;
            if (_meterScope is not null && instrument.Meter.Scope is { } scope && !ReferenceEquals(scope, _meterScope))
                return;
            _instruments.TryAdd(instrument, new InstrumentSeries(instrument, BoundsOf(instrument)));
            listener.EnableMeasurementEvents(instrument, this);
        };
        _listener.MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out var _);
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<short>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<byte>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<decimal>((i, v, tags, _) => Record(i, (double)v, tags));
        _listener.Start();
    }

    /// <summary>The Prometheus metric name of an instrument, e.g. <c>rlhf.grpc.server.duration</c> (ms) → <c>rlhf_grpc_server_duration_milliseconds</c>.</summary>
    public static string MetricName(Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        var name = new StringBuilder(instrument.Name.Length + 16);
        foreach (var c in instrument.Name)
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
            name.Insert(0, '_');
        var unit = instrument.Unit switch
        {
            null or "" or "1" => "",
            ['{', .., '}'] => "",
            "ms" => "milliseconds",
            "s" => "seconds",
            "By" => "bytes",
            var u => new string(u.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray()),
        };
        if (unit.Length > 0 && !name.ToString().EndsWith("_" + unit, StringComparison.Ordinal))
            name.Append('_').Append(unit);
        if (Kind(instrument) == SeriesKind.Counter)
            name.Append("_total");
        return name.ToString();
    }

    /// <summary>Renders every exported instrument's current values (observable instruments are observed now).</summary>
    public string Scrape()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var series in _instruments.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
            series.WriteTo(text);
        return text.ToString();
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_instruments.TryGetValue(instrument, out var series))
            series.Record(value, tags);
    }

    private static SeriesKind Kind(Instrument instrument)
    {
        var type = instrument.GetType();
        var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (generic == typeof(Histogram<>))
            return SeriesKind.Histogram;
        if (generic == typeof(Counter<>))
            return SeriesKind.Counter;
        if (generic == typeof(ObservableCounter<>))
            return SeriesKind.ObservedCounter;
        if (generic == typeof(UpDownCounter<>))
            return SeriesKind.Sum;
        return SeriesKind.LastValue; // Gauge<T>, ObservableGauge<T>, ObservableUpDownCounter<T>
    }

    private static double[] BoundsOf(Instrument instrument) => instrument switch
    {
        Histogram<int> { Advice.HistogramBucketBoundaries: { Count: > 0 } b } => b.Select(x => (double)x).ToArray(),
        Histogram<long> { Advice.HistogramBucketBoundaries: { Count: > 0 } b } => b.Select(x => (double)x).ToArray(),
        Histogram<double> { Advice.HistogramBucketBoundaries: { Count: > 0 } b } => b.ToArray(),
        Histogram<float> { Advice.HistogramBucketBoundaries: { Count: > 0 } b } => b.Select(x => (double)x).ToArray(),
        _ => DefaultBounds,
    };

    private static string FormatValue(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
            return "";
        var sorted = tags.ToArray();
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var text = new StringBuilder();
        foreach (var (key, value) in sorted)
        {
            if (text.Length > 0)
                text.Append(',');
            foreach (var c in key)
                text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
            text.Append("=\"");
            foreach (var c in Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")
            {
                _ = c switch
                {
                    '\\' => text.Append("\\\\"),
                    '"' => text.Append("\\\""),
                    '\n' => text.Append("\\n"),
                    _ => text.Append(c),
                };
            }
            text.Append('"');
        }
        return text.ToString();
    }

    private enum SeriesKind
    {
        Counter,
        ObservedCounter,
        Sum,
        LastValue,
        Histogram,
    }

    /// <summary>All label sets of one instrument.</summary>
    private sealed class InstrumentSeries(Instrument instrument, double[] bounds)
    {
        /// <summary>Most tag sets remembered per instrument; beyond it a measurement's labels are formatted each time.</summary>
        private const int MaxCachedTagSets = 64;

        private readonly SeriesKind _kind = Kind(instrument);
        private readonly ConcurrentDictionary<string, Values> _byLabels = new(StringComparer.Ordinal);
        private readonly Lock _cacheLock = new();

        /// <summary>Tag sets seen before (as given, unsorted) and their values; replaced, never changed, under <see cref="_cacheLock"/>.</summary>
        private volatile CachedTagSet[] _cache = [];

        public string Name { get; } = MetricName(instrument);

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var values = ValuesOf(tags);
            lock (values)
            {
                switch (_kind)
                {
                    case SeriesKind.Counter:
                    case SeriesKind.Sum:
                        values.Sum += value;
                        break;
                    case SeriesKind.ObservedCounter:
                    case SeriesKind.LastValue:
                        values.Sum = value;
                        break;
                    case SeriesKind.Histogram:
                        values.Sum += value;
                        values.Count++;
                        var bucket = 0; // the first bound ≥ value, else the +Inf bucket (also for NaN)
                        while (bucket < bounds.Length && !(value <= bounds[bucket]))
                            bucket++;
                        values.Buckets[bucket]++;
                        break;
                }
            }
        }

        /// <summary>
        /// The values of the label set of <paramref name="tags"/>. A tag set seen before (same keys and values in the same
        /// order, as one call site records them) is found without sorting and formatting its labels again.
        /// </summary>
        private Values ValuesOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var cache = _cache;
            if (Find(cache, tags) is { } known)
                return known;
            var values = _byLabels.GetOrAdd(Labels(tags), _ => new Values(bounds.Length));
            if (cache.Length < MaxCachedTagSets)
            {
                lock (_cacheLock)
                {
                    if (_cache.Length < MaxCachedTagSets && Find(_cache, tags) is null)
                        _cache = [.. _cache, new CachedTagSet(tags.ToArray(), values)];
                }
            }
            return values;
        }

        private static Values? Find(CachedTagSet[] cache, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var entry in cache)
            {
                if (entry.Matches(tags))
                    return entry.Values;
            }
            return null;
        }

        public void WriteTo(StringBuilder text)
        {
            var type = _kind switch
            {
                SeriesKind.Counter or SeriesKind.ObservedCounter => "counter",
                SeriesKind.Histogram => "histogram",
                _ => "gauge",
            };
            if (!string.IsNullOrEmpty(instrument.Description))
                text.Append("# HELP ").Append(Name).Append(' ').Append(instrument.Description.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
            foreach (var (labels, values) in _byLabels.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                lock (values)
                {
                    if (_kind != SeriesKind.Histogram)
                    {
                        Line(text, Name, labels, values.Sum);
                        continue;
                    }
                    long cumulative = 0;
                    for (var b = 0; b <= bounds.Length; b++)
                    {
                        cumulative += values.Buckets[b];
                        var le = "le=\"" + FormatValue(b < bounds.Length ? bounds[b] : double.PositiveInfinity) + "\"";
                        Line(text, Name + "_bucket", labels.Length > 0 ? labels + "," + le : le, cumulative);
                    }
                    Line(text, Name + "_sum", labels, values.Sum);
                    Line(text, Name + "_count", labels, values.Count);
                }
            }
        }

        private static void Line(StringBuilder text, string name, string labels, double value)
        {
            text.Append(name);
            if (labels.Length > 0)
                text.Append('{').Append(labels).Append('}');
            text.Append(' ').Append(FormatValue(value)).Append('\n');
        }
    }

    /// <summary>A tag set as recorded and the values of its label set.</summary>
    private sealed record CachedTagSet(KeyValuePair<string, object?>[] Tags, Values Values)
    {
        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != Tags.Length)
                return false;
            for (var i = 0; i < tags.Length; i++)
            {
                if (!string.Equals(tags[i].Key, Tags[i].Key, StringComparison.Ordinal) || !Equals(tags[i].Value, Tags[i].Value))
                    return false;
            }
            return true;
        }
    }

    /// <summary>The aggregate of one label set: the sum (or last value), and for histograms the count and bucket counts.</summary>
    private sealed class Values(int bounds)
    {
        public double Sum;
        public long Count;
        public readonly long[] Buckets = new long[bounds + 1];
    }
}
