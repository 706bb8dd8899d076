import ConnModel
/// The shell of connbench's HTML reports: one self-contained page, its style inline and
/// its charts inline SVG, with no script and no URL at all — it must open offline, from a
/// mail or an archive, exactly as written.
enum HTMLPage {
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(SVGChart.escape(title))</title>
        <style>
        body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px; color: #222; background: #ffffff; max-width: 1000px; }
        h1 { font-size: 22px; margin: 0 0 6px 0; }
        h2 { font-size: 17px; margin: 28px 0 6px 0; }
        p.meta { color: #555; margin: 2px 0; font-size: 13px; }
        .verdict { font-size: 15px; padding: 10px 14px; margin: 14px 0; border-left: 6px solid #888; background: #f4f4f4; }
        .verdict.held { border-color: #2ca02c; }
        .verdict.notheld { border-color: #d62728; }
        .verdict.warn { border-color: #ff7f0e; }
        svg.chart { display: block; margin: 10px 0 4px 0; font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; max-width: 100%; height: auto; }
        p.note { color: #555; font-size: 13px; margin: 2px 0 8px 0; }
        table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
        td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
        th { background: #f0f0f0; }
        td.l, th.l { text-align: left; }
        pre { font-size: 12px; background: #f7f7f7; padding: 12px; overflow-x: auto; border: 1px solid #ddd; }
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    static func h1(_ s: String) -> String { "<h1>\(SVGChart.escape(s))</h1>\n" }
    static func h2(_ s: String) -> String { "<h2>\(SVGChart.escape(s))</h2>\n" }
    static func meta(_ s: String) -> String { "<p class=\"meta\">\(SVGChart.escape(s))</p>\n" }
    static func note(_ s: String) -> String { "<p class=\"note\">\(SVGChart.escape(s))</p>\n" }
    static func pre(_ s: String) -> String { "<pre>\(SVGChart.escape(s))</pre>\n" }

    /// A table; the first column is read as a label (left-aligned).
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        func row(_ cells: [String], _ tag: String) -> String {
            "<tr>" + cells.enumerated().map { i, c in "<\(tag)\(i == 0 ? " class=\"l\"" : "")>\(SVGChart.escape(c))</\(tag)>" }.joined() + "</tr>\n"
        }
        return "<table>\n" + row(header, "th") + rows.map { row($0, "td") }.joined() + "</table>\n"
    }

    /// Colours that stay apart for the colour-blind and in print (Tableau 10).
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
}
