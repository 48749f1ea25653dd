"""A lean DEX reader: tables as NumPy arrays, class data, and reference sites found in the bytecode."""
