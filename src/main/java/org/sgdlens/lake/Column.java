package org.sgdlens.lake;

/** One column of a lake table as declared in its schema file. */
public record Column(String name, ColumnType type, boolean nullable, String comment) {}
