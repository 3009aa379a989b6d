import Testing
import TensorCore
@testable import ImageData

@Test func channelsLastMovesTheChannelAxisToTheEnd() {
    // [1, 2, 1, 2]: channel 0 = [1, 2], channel 1 = [3, 4] → pixels (1,3), (2,4).
    let nchw = Tensor(shape: [1, 2, 1, 2], scalars: [1, 2, 3, 4])
    let nhwc = nchw.channelsLast()
    #expect(nhwc.shape == [1, 1, 2, 2])
    #expect(nhwc.scalars == [1, 3, 2, 4])
}
