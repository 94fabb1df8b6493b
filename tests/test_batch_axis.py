"""The batch size in a traced view/reshape (exact.batch_axis): which first sizes keep each sample together.

Each spelling is traced with torch.fx and checked against what torch itself does: a batch
size the function accepts must equal the batch size of the value reshaped, for a batch of 5.
"""

import pytest
import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from exact.batch_axis import batch_size_message, is_batch_size

BATCH = 5


class Spelling(nn.Module):
    """x (5, 16) -> view (1, 4, 4) -> F.conv2d -> relu -> a second view whose first size is ``first(...)``."""

    def __init__(self, first):
        super().__init__()
        self.conv, self.first = nn.Conv2d(1, 2, 3), first

    def forward(self, x):
        h = x.view(-1, 1, 4, 4)
        w = self.conv.weight   # one get_attr node: an ancestor of c, and measured by "weight.size(0)"
        c = F.conv2d(h, w, self.conv.bias)
        out = torch.relu(c)
        return out.view(self.first(x, h, c, out, w), -1)


ACCEPTED = {
    "x.size(0)": lambda x, h, c, out, w: x.size(0),
    "x.shape[0]": lambda x, h, c, out, w: x.shape[0],
    "x.size()[0]": lambda x, h, c, out, w: x.size()[0],
    "x.size(dim=0)": lambda x, h, c, out, w: x.size(dim=0),
    "h.size(0)": lambda x, h, c, out, w: h.size(0),
    "c.shape[0]": lambda x, h, c, out, w: c.shape[0],
    "out.size(0)": lambda x, h, c, out, w: out.size(0),
}
REFUSED = {
    "x.size(1)": lambda x, h, c, out, w: x.size(1),
    "x.t().size(0)": lambda x, h, c, out, w: x.t().size(0),            # a value used only for its size
    "x.view(-1).shape[0]": lambda x, h, c, out, w: x.view(-1).shape[0],
    "weight.size(0)": lambda x, h, c, out, w: w.size(0),               # a parameter out is computed from
    "weight.t().size(0)": lambda x, h, c, out, w: w.t().size(0),
    "x.size(0) * 1": lambda x, h, c, out, w: x.size(0) * 1,
    "x.size()": lambda x, h, c, out, w: x.size(),
    "constant 5": lambda x, h, c, out, w: 5,
}


def _last_view(first):
    gm = fx.symbolic_trace(Spelling(first))
    return [n for n in gm.graph.nodes if n.target == "view"][-1]


def _torch_first_size(first):
    m, seen = Spelling(first), []
    real = m.first
    m.first = lambda *a: seen.append(real(*a)) or seen[-1]
    m(torch.zeros(BATCH, 16))
    return seen[0]


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_batch_sizes_of_the_input_and_of_values_on_its_way_are_accepted(name):
    view = _last_view(ACCEPTED[name])
    assert is_batch_size(view.args[1], view.args[0])
    assert _torch_first_size(ACCEPTED[name]) == BATCH   # torch agrees: it is the batch size


@pytest.mark.parametrize("name", list(REFUSED))
def test_other_first_sizes_are_refused(name):
    view = _last_view(REFUSED[name])
    assert not is_batch_size(view.args[1], view.args[0])


def test_a_value_reached_only_through_a_size_is_no_value_on_the_way():
    class Shared(nn.Module):
        def forward(self, x):
            t = x.t()   # out is computed from t only through the size an earlier view reads
            return torch.relu(x.view(t.size(0), 1, 4, 4)).view(t.size(0), -1)

    view = [n for n in fx.symbolic_trace(Shared()).graph.nodes if n.target == "view"][-1]
    assert not is_batch_size(view.args[1], view.args[0])


def test_a_refused_first_size_is_named_with_what_to_write_instead():
    view = _last_view(REFUSED["x.t().size(0)"])
    msg = batch_size_message("node 'view_1' (call_method view)", view.args[1])
    assert msg.startswith("node 'view_1' (call_method view): its first size is the value of node 'size' "
                          "(call_method size), not the batch size")
    assert msg.endswith("write out.flatten(1) or out.view(-1, k) instead")
    assert "its first size is 8, not" in batch_size_message("view", 8)
