"""The characters nearly every document prints, outside ASCII: those of the clause sources,
the profile defaults and the HTML templates in templates/ (sorted by code point).

renderers/fonts.py puts their glyphs first in the cached font subset, so that WeasyPrint, which
embeds a face with a slot for every glyph id up to the highest one used, embeds about a
thousand slots instead of 8,145. A character missing here still prints; it only makes the PDFs
that use it a little larger. Regenerate after larger changes to the clause sources with
`python -m renderers.fonts --priority-chars > renderers/priority_chars.py`; a change rebuilds
the cached subsets once per machine.
"""

PRIORITY_CHARS = (
    "¥·×Σ–—“”…→≤　、。〇《》一七万三上下不与专且业丢两严丧个中为主举久义之乙九也习书买了予争事二于互五交产享京人亿"
    "仅今仍从仔他付仟代以仲件价任份企伍休优会传估但位低住体何余作佰使例供依侮侵便促保信修倍借债值假偏做停健偿储催像允元充先克"
    "免入全八公六共关其具典内册再冒写冲决况准减几凭出函分切划列则删判利别到制前剩副割力办加务动助包化北区匿十升华协单卖印危即"
    "原厦去叁参及双反发取受变口另只可台号司各合吊同名后向否含启告员周命和咨品哈响售唯商善器四回因团围固国在地场址均型培基填境"
    "增壹处备复外多够大天失头好如妥始姓委威子字存宁守安完定宜实审客宣害家容宿寄密对导封将尊小少尚就尾局层居届展属履工差己已币"
    "市布师希带常平年并序应底废度座庭延建开异式引张弥强当录形影往征径待律得循心必忠快态急性总恢息悉情惯想意感愿成或截户所手才"
    "托扣执扩批找承技把投抗折护报披担拆拒择括拾持指按捌损换据授掌排接控推措提插握搭撤擅操支收改放政故效敏救数整文料断新方施旅"
    "无日旦旧旨早时明易映是显晚暂曲更替最月有服期未末本术机权村束条来板构析果某柒染查标栏树校样核根格案档检概模欠次欺款止正此"
    "段毁母每毕民水求汇江沟没泄法注活洽流测海消涉淀清渠港渲游湾源满漏澳点然照熟牌特状独率王玖现班理生用由甲申电画界留略疑登百"
    "的益监盖目直相眉真着督知短码确示礼社票私种秘称移程税稳究空窗立章端笔符第等答策筹签简算管箱篡簿类粗系累纠约纳纸组细织终经"
    "结给绝统继续维缀编缝缴网置署考者而职联肆胁能自至致般良节英范荐获营落蔽虚行街补表被裁裂装西要覆见观规视览角解触言警计订认"
    "训议讯记讲许论讼设访证评识诈诉译试诚话询该详语误说请诺读调谢象貌负财责败账质购贰贷费资赋赔赵起超足跟踪身转软轻载较输辖辱"
    "达过运近返还这进违连迟述追退送适选递途通速造逢逾遇道遭遮遵避邀邮部都配醒采释里重量金鉴银链销错键长门问间阅防附际陆陈降限"
    "院除随隐障难集零需露非面页项顺须顾颁预频题额餐饮首香验骑高默龄（），－：；？＿ａｄｉｌｎｕｖ￥"
)
