using System.Text;

namespace Rlhf.Tokenizers;

/// <summary>
/// The pieces of a SentencePiece model file: a <c>ModelProto</c> protobuf (sentencepiece_model.proto) whose field 1
/// repeats <c>SentencePiece { string piece = 1; float score = 2; Type type = 3; }</c> and whose field 2 is the
/// <c>TrainerSpec</c> (<c>model_type = 3</c>: 1 unigram, 2 BPE). Read here because Microsoft.ML.Tokenizers keeps
/// scores and types internal.
/// </summary>
internal sealed record SentencePieceModelFile(string[] Pieces, float[] Scores, PieceType[] Types, int ModelType)
{
    public const int Unigram = 1;
    public const int Bpe = 2;

    /// <exception cref="InvalidDataException">The bytes are not a well-formed ModelProto.</exception>
    public static SentencePieceModelFile Parse(ReadOnlySpan<byte> data)
    {
        var pieces = new List<string>();
        var scores = new List<float>();
        var types = new List<PieceType>();
        var modelType = Unigram; // the proto's default
        var reader = new Reader(data);
        while (!reader.End)
        {
            var (field, wire) = reader.Tag();
            if (field == 1 && wire == 2)
            {
                var piece = new Reader(reader.Bytes());
                string text = "";
                float score = 0;
                var type = PieceType.Normal;
                while (!piece.End)
                {
                    var (f, w) = piece.Tag();
                    if (f == 1 && w == 2)
                        text = Encoding.UTF8.GetString(piece.Bytes());
                    else if (f == 2 && w == 5)
                        score = BitConverter.Int32BitsToSingle((int)piece.Fixed32());
                    else if (f == 3 && w == 0)
                        type = (PieceType)piece.Varint();
                    else
                        piece.Skip(w);
                }
                pieces.Add(text);
                scores.Add(score);
                types.Add(type);
            }
            else if (field == 2 && wire == 2)
            {
                var trainer = new Reader(reader.Bytes());
                while (!trainer.End)
                {
                    var (f, w) = trainer.Tag();
                    if (f == 3 && w == 0)
                        modelType = (int)trainer.Varint();
                    else
                        trainer.Skip(w);
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }
        if (pieces.Count == 0)
            throw new InvalidDataException("the model has no pieces");
        return new SentencePieceModelFile([.. pieces], [.. scores], [.. types], modelType);
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public readonly bool End => _at >= _data.Length;

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_at >= _data.Length)
                    throw new InvalidDataException($"truncated varint at byte {_at}");
                var b = _data[_at++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                    return value;
            }
            throw new InvalidDataException($"varint longer than 10 bytes at byte {_at}");
        }

        public uint Fixed32() => (uint)BitConverter.ToInt32(Take(4));

        public ReadOnlySpan<byte> Bytes() => Take(checked((int)Varint()));

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Take(8); break;
                case 2: Bytes(); break;
                case 5: Take(4); break;
                default: throw new InvalidDataException($"unsupported protobuf wire type {wire} at byte {_at}");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || _data.Length - _at < count)
                throw new InvalidDataException($"truncated field at byte {_at}: {count} bytes expected");
            var span = _data.Slice(_at, count);
            _at += count;
            return span;
        }
    }
}

/// <summary>sentencepiece_model.proto's <c>SentencePiece.Type</c>.</summary>
internal enum PieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
