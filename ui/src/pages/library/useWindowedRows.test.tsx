import { act, fireEvent, render, screen } from "@testing-library/react";
import { useRef } from "react";
import { columnsFor, useWindowedRows, type FixedViewport, type RowLayout } from "./useWindowedRows";

const GRID: RowLayout = { rowHeight: 100, gap: 10, minColumnWidth: 200 };

function Rows({
  count,
  viewport,
  layout = GRID,
  deferOverscan = false,
}: {
  count: number;
  viewport: FixedViewport;
  layout?: RowLayout;
  deferOverscan?: boolean;
}) {
  const listRef = useRef<HTMLDivElement>(null);
  const w = useWindowedRows(listRef, count, layout, { overscan: 1, deferOverscan, fixedViewport: viewport });
  const items = Array.from({ length: w.end - w.start }, (_, k) => w.start + k);
  return (
    <div data-testid="scroller" style={{ overflowY: "auto" }}>
      <div
        ref={listRef}
        data-testid="list"
        data-columns={w.columns}
        data-page-rows={w.pageRows}
        style={{ paddingTop: w.padTop, paddingBottom: w.padBottom }}
      >
        {items.map((i) => (
          <div key={i} data-index={i} />
        ))}
      </div>
      <button type="button" onClick={() => w.scrollToIndex(count - 1)}>
        last
      </button>
    </div>
  );
}

const rendered = () => [...screen.getByTestId("list").querySelectorAll("[data-index]")].map((e) => Number(e.getAttribute("data-index")));

describe("useWindowedRows", () => {
  it("fits as many columns as the width allows", () => {
    expect(columnsFor(620, GRID)).toBe(3);
    expect(columnsFor(619, GRID)).toBe(2);
    expect(columnsFor(50, GRID)).toBe(1);
    expect(columnsFor(5000, { ...GRID, minColumnWidth: null })).toBe(1);
  });

  it("renders the rows in view plus the overscan, and pads the list to its full height", () => {
    render(<Rows count={100} viewport={{ width: 630, height: 250 }} />);
    // Rows 0-2 are in a 250 px view of 110 px rows, plus one row of overscan: 4 rows of 3.
    expect(rendered()).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const list = screen.getByTestId("list");
    expect(list.style.paddingTop).toBe("0px");
    // 34 rows in all, 4 rendered: 30 rows below.
    expect(list.style.paddingBottom).toBe(`${30 * 110}px`);
    expect(list).toHaveAttribute("data-page-rows", "2");
  });

  it("can render the rows in view first and the overscan in a task after", async () => {
    render(<Rows count={100} viewport={{ width: 630, height: 250 }} deferOverscan />);
    // Rows 0-2 in view: 3 rows of 3, no overscan yet.
    expect(rendered()).toEqual(Array.from({ length: 9 }, (_, i) => i));
    await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(rendered()).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(screen.getByTestId("list").style.paddingBottom).toBe(`${30 * 110}px`);
  });

  it("moves the window as the scroller scrolls", () => {
    render(<Rows count={100} viewport={{ width: 630, height: 250 }} />);
    const scroller = screen.getByTestId("scroller");
    scroller.scrollTop = 110 * 10;
    fireEvent.scroll(scroller);
    // Rows 10-12 in view, one above and one below: rows 9-13.
    expect(rendered()).toEqual(Array.from({ length: 15 }, (_, i) => 27 + i));
    expect(screen.getByTestId("list").style.paddingTop).toBe(`${9 * 110}px`);
  });

  it("follows the width: fewer columns, more rows", () => {
    const { rerender } = render(<Rows count={100} viewport={{ width: 630, height: 250 }} />);
    expect(screen.getByTestId("list")).toHaveAttribute("data-columns", "3");
    rerender(<Rows count={100} viewport={{ width: 300, height: 250 }} />);
    expect(screen.getByTestId("list")).toHaveAttribute("data-columns", "1");
    expect(rendered()).toEqual([0, 1, 2, 3]);
  });

  it("scrolls an item's row into view on request", () => {
    render(<Rows count={100} viewport={{ width: 630, height: 250 }} />);
    fireEvent.click(screen.getByText("last"));
    expect(screen.getByTestId("scroller").scrollTop).toBeGreaterThan(0);
    expect(rendered()).toContain(99);
    expect(rendered()).not.toContain(0);
  });

  it("renders a one-column list the same way", () => {
    render(<Rows count={50} viewport={{ width: 900, height: 100 }} layout={{ rowHeight: 50, gap: 0, minColumnWidth: null }} />);
    expect(rendered()).toEqual([0, 1, 2]);
  });
});
