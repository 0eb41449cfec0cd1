// Tests of the FieldTheory module land here (this placeholder goes when the first test file arrives).
import FieldTheory
