using System.Security.Cryptography;
using System.Text;

namespace PrivacySuite.Vault.Crypto;

/// <summary>
/// Versioned key-encryption keys (KEKs) in a folder: <c>kek-000001.key</c>, <c>kek-000002.key</c>, … each holding 32
/// random bytes in base64, mode 600, in a folder of mode 700. The highest version wraps new data keys; every version
/// that still exists can unwrap, so a rotation never makes a stored key unreadable while re-wrapping runs.
/// A second file, <c>mac.key</c>, is the root of the keyed hashes (lookup tokens, the access-log chain, codes).
/// </summary>
public sealed class FileKeyProvider
{
    private const string KekPrefix = "kek-";
    private const string KeySuffix = ".key";
    private readonly string _directory;
    private readonly Lock _sync = new();
    private Dictionary<int, byte[]> _keks = [];

    public FileKeyProvider(string directory)
    {
        _directory = directory;
        CreatePrivateDirectory(directory);

        MacRootKey = LoadOrCreate(Path.Combine(directory, "mac.key"));
        Reload();
        if (_keks.Count == 0)
        {
            Rotate();
        }
    }

    public byte[] MacRootKey { get; }

    public int CurrentVersion
    {
        get
        {
            lock (_sync)
            {
                return _keks.Keys.Max();
            }
        }
    }

    /// <summary>The KEK of <paramref name="version"/>; reloads the folder once when another instance rotated meanwhile.</summary>
    public byte[] Kek(int version)
    {
        lock (_sync)
        {
            if (_keks.TryGetValue(version, out var key))
            {
                return key;
            }
        }

        Reload();
        lock (_sync)
        {
            return _keks.TryGetValue(version, out var key)
                ? key
                : throw new CryptographicException($"Key-encryption key version {version} is not in the key folder.");
        }
    }

    /// <summary>Creates the next KEK version; new data keys are wrapped with it from now on.</summary>
    public int Rotate()
    {
        lock (_sync)
        {
            var next = (_keks.Count == 0 ? 0 : _keks.Keys.Max()) + 1;
            var path = Path.Combine(_directory, $"{KekPrefix}{next:D6}{KeySuffix}");
            LoadOrCreate(path);
            ReloadLocked();
            return next;
        }
    }

    private void Reload()
    {
        lock (_sync)
        {
            ReloadLocked();
        }
    }

    private void ReloadLocked()
    {
        var keks = new Dictionary<int, byte[]>();
        foreach (var path in Directory.EnumerateFiles(_directory, $"{KekPrefix}*{KeySuffix}"))
        {
            var name = Path.GetFileName(path);
            if (int.TryParse(name.AsSpan(KekPrefix.Length, name.Length - KekPrefix.Length - KeySuffix.Length), out var version))
            {
                keks[version] = ReadKey(path);
            }
        }

        _keks = keks;
    }

    /// <summary>Creates <paramref name="directory"/> (mode 700) when missing.</summary>
    public static void CreatePrivateDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static byte[] LoadOrCreate(string path) => File.Exists(path) ? ReadKey(path) : WriteNewKey(path);

    /// <summary>
    /// Writes a new random key to <paramref name="path"/> (mode 600) unless one is there, and returns the key the file
    /// holds. The key is written to a temporary file, flushed, and moved into place without replacing: two instances
    /// creating the same key agree on one, and nobody ever reads a half-written file.
    /// </summary>
    public static byte[] WriteNewKey(string path)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, create))
        {
            stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key)));
            stream.Flush(flushToDisk: true);
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return ReadKey(path);
        }
    }

    public static byte[] ReadKey(string path)
    {
        var key = Convert.FromBase64String(File.ReadAllText(path).Trim());
        return key.Length == 32 ? key : throw new CryptographicException($"{Path.GetFileName(path)} does not hold a 256-bit key.");
    }
}
