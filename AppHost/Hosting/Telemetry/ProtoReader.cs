using System.Buffers.Binary;
using System.Text;

namespace PrivacySuite.AppHost.Hosting.Telemetry;

/// <summary>
/// A reader for the protocol buffers wire format (varint, 64-bit, length-delimited, 32-bit), enough to decode OTLP
/// without generated code. Unknown fields are skipped, as the format requires, so newer exporters still decode.
/// </summary>
public ref struct ProtoReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;

    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    public readonly bool End => _position >= _buffer.Length;

    /// <summary>Reads the next field's number and wire type; false at the end of the message.</summary>
    public bool TryReadTag(out int field, out int wireType)
    {
        if (End)
        {
            field = 0;
            wireType = 0;
            return false;
        }

        var tag = ReadVarint();
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        if (field == 0)
        {
            throw new FormatException("Protobuf field number 0 is invalid.");
        }

        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _buffer.Length)
            {
                throw new FormatException("Truncated varint.");
            }

            var b = _buffer[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new FormatException("Varint longer than 10 bytes.");
    }

    public ulong ReadFixed64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public uint ReadFixed32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public double ReadDouble() => BitConverter.UInt64BitsToDouble(ReadFixed64());

    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarint();
        return length > int.MaxValue ? throw new FormatException("Length out of range.") : Take((int)length);
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                Take(8);
                break;
            case LengthDelimited:
                ReadBytes();
                break;
            case Fixed32:
                Take(4);
                break;
            default:
                throw new FormatException($"Unsupported protobuf wire type {wireType}.");
        }
    }

    /// <summary>Reads a repeated fixed64 field, packed (proto3's default) or not.</summary>
    public void ReadRepeatedFixed64(int wireType, List<ulong> into)
    {
        if (wireType == LengthDelimited)
        {
            var packed = ReadBytes();
            for (var i = 0; i + 8 <= packed.Length; i += 8)
            {
                into.Add(BinaryPrimitives.ReadUInt64LittleEndian(packed[i..]));
            }
        }
        else
        {
            into.Add(ReadFixed64());
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || _position + count > _buffer.Length)
        {
            throw new FormatException("Truncated protobuf message.");
        }

        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }
}
