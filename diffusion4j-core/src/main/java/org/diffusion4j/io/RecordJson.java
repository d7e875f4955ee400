package org.diffusion4j.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import org.diffusion4j.UserException;

/**
 * Configuration records to and from JSON text, field names as the record's components. A field
 * missing from the text takes Java's default (0, false, null), so a record's compact constructor
 * decides what an absent value means. Gson stays behind this class.
 */
public final class RecordJson {
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private RecordJson() {}

    /** The record as pretty-printed JSON. */
    public static String toJson(Object record) {
        return GSON.toJson(record);
    }

    /**
     * Parses JSON written by {@link #toJson} (or by the classes the records replaced: same field
     * names).
     *
     * @param what what the text describes, for the message ("the U-Net configuration")
     * @throws UserException if the text is not JSON, is empty, or its values are rejected by the
     *     record (the record's own exception is rethrown unwrapped)
     */
    /**
     * What a JSON parser's exception says is wrong, where: without Gson's advice to parse
     * leniently and its link (meant for programmers), on one line.
     */
    public static String problem(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        m = m.replaceAll("\\s*See https?://\\S+", "").replaceAll("Use JsonReader\\.setStrictness\\([^)]*\\) to accept "
                + "malformed JSON ?|Use JsonReader\\.setLenient\\(true\\) to accept malformed JSON ?", "");
        return m.replaceAll("^[\\w.]+Exception: ", "").replace('\n', ' ').strip();
    }

    public static <T> T fromJson(String json, Class<T> type, String what) {
        T value;
        try {
            value = GSON.fromJson(json, type);
        } catch (JsonParseException e) {
            throw new UserException(what + " is not valid JSON (" + problem(e) + "); the file may be corrupt", e);
        } catch (RuntimeException e) {
            // Gson wraps what a record's constructor throws; the constructor's message is the useful one
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof UserException) {
                    throw (UserException) c;
                }
            }
            throw e;
        }
        if (value == null) {
            throw new UserException(what + " is empty; the file may be corrupt");
        }
        return value;
    }
}
