package dev.rosarium.activities.prepare;

import dev.rosarium.core.tokenize.TokenizedExample;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A prepared directory opened for reading. Opening checks the manifest's fields and, for every
 * shard, its size, SHA-256 and header against the manifest and the split totals against their
 * shards; any mismatch is an error naming the file and the manifest field. The shard files stay
 * open, so the rows read later are those of the files that were checked.
 */
public final class TokenShards implements AutoCloseable {
    private final Path directory;
    private final DatasetManifest manifest;
    private final Map<String, FileChannel> channels;

    private TokenShards(Path directory, DatasetManifest manifest, Map<String, FileChannel> channels) {
        this.directory = directory;
        this.manifest = manifest;
        this.channels = channels;
    }

    public static TokenShards open(Path preparedDirectory) throws IOException {
        Path manifestFile = preparedDirectory.resolve(DatasetManifest.FILE_NAME);
        DatasetManifest m = DatasetManifest.read(manifestFile);
        Map<String, FileChannel> channels = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, DatasetManifest.SplitInfo> split : m.splits().entrySet()) {
                long rows = 0;
                long tokens = 0;
                List<DatasetManifest.ShardInfo> shards = split.getValue().shards();
                for (int i = 0; i < shards.size(); i++) {
                    DatasetManifest.ShardInfo s = shards.get(i);
                    String field = "splits." + split.getKey() + ".shards[" + i + "]";
                    if (channels.containsKey(s.file())) {
                        throw new IOException(manifestFile + ": field '" + field + ".file': " + s.file()
                                + " is listed twice");
                    }
                    FileChannel ch = openShard(preparedDirectory.resolve(s.file()), manifestFile, field);
                    channels.put(s.file(), ch);
                    check(preparedDirectory.resolve(s.file()), ch, s, manifestFile, field);
                    rows += s.rows();
                    tokens += s.tokens();
                }
                String field = "splits." + split.getKey();
                if (rows != split.getValue().rows()) {
                    throw new IOException(manifestFile + ": field '" + field + ".rows' = " + split.getValue().rows()
                            + ", but its shards hold " + rows + " rows");
                }
                if (tokens != split.getValue().tokens()) {
                    throw new IOException(manifestFile + ": field '" + field + ".tokens' = "
                            + split.getValue().tokens() + ", but its shards hold " + tokens + " tokens");
                }
            }
            return new TokenShards(preparedDirectory, m, channels);
        } catch (IOException | RuntimeException e) {
            try {
                closeAll(channels);
            } catch (IOException x) {
                e.addSuppressed(x);
            }
            throw e;
        }
    }

    private static FileChannel openShard(Path file, Path manifestFile, String field) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": missing (listed in " + manifestFile + " field '" + field + ".file')", e);
        }
    }

    private static void check(Path file, FileChannel ch, DatasetManifest.ShardInfo s, Path manifestFile, String field)
            throws IOException {
        long size = ch.size();
        if (size != s.bytes()) {
            throw new IOException(file + ": " + size + " bytes, but " + manifestFile + " field '" + field + ".bytes' = "
                    + s.bytes());
        }
        MessageDigest d = PreparationKey.digest();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        for (long pos = 0; pos < size; ) {
            buf.clear();
            int n = ch.read(buf, pos);
            if (n < 0) {
                break;
            }
            buf.flip();
            d.update(buf);
            pos += n;
        }
        String sha = PreparationKey.hex(d.digest());
        if (!sha.equals(s.sha256())) {
            throw new IOException(file + ": SHA-256 " + sha + " does not match " + manifestFile + " field '" + field
                    + ".sha256' = " + s.sha256() + " (the shard is corrupt)");
        }
        int rows = ShardFile.headerRows(ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, ShardFile.HEADER_BYTES)),
                file.toString());
        if (rows != s.rows()) {
            throw new IOException(file + ": header holds " + rows + " rows, but " + manifestFile + " field '" + field
                    + ".rows' = " + s.rows());
        }
    }

    public Path directory() {
        return directory;
    }

    public DatasetManifest manifest() {
        return manifest;
    }

    /** Every row of a split ({@code train} or {@code eval}) in order. */
    public List<TokenizedExample> split(String name) throws IOException {
        DatasetManifest.SplitInfo split = manifest.splits().get(name);
        if (split == null) {
            throw new IllegalArgumentException("no split '" + name + "'; the manifest has " + manifest.splits().keySet());
        }
        List<TokenizedExample> out = new ArrayList<>();
        for (DatasetManifest.ShardInfo s : split.shards()) {
            FileChannel ch = channels.get(s.file());
            String file = directory.resolve(s.file()).toString();
            List<TokenizedExample> rows = ShardFile.read(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()), file);
            long tokens = rows.stream().mapToLong(TokenizedExample::tokens).sum();
            if (tokens != s.tokens()) {
                throw new IOException(file + ": holds " + tokens + " tokens, but the manifest's shard entry says "
                        + s.tokens());
            }
            out.addAll(rows);
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        closeAll(channels);
    }

    private static void closeAll(Map<String, FileChannel> channels) throws IOException {
        IOException first = null;
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
