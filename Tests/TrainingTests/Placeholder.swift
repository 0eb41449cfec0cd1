// Tests of the Training module land here (this placeholder goes when the first test file arrives).
import Training
